"""The dashboard in a real headless Chromium: what a person watching sees.

The reference scenario plays in ``testbed demo queued-callback --dashboard
--paused``; the page's own controls move its clock, so every instant is
exact.  The browser (Debian's ``chromium``, driven by Playwright) is shared
by the module; each test opens its own page on its own served testbed.
Waits are for what the page shows (Playwright's ``expect``), never sleeps.
"""

from __future__ import annotations

import asyncio
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from fakes import MockAgent, MockCaller
from testbed import Flow, SetAttributes, SetWorkingQueue, Testbed, TransferToQueue
from testbed.core.clock import run
from testbed.server.dashboard.serving import dashboard_site

#: Chromium's flags for a closed network and no display.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("the dashboard's browser tests need Chromium: apt-get install chromium "
                    "(.ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def demo() -> Iterator[str]:
    """``testbed demo queued-callback --dashboard --paused``: the dashboard's URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "testbed.cli", "demo", "queued-callback", "--dashboard",
         "--paused", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith("dashboard: "):
                url = line.split()[1]
                break
        else:
            pytest.fail(f"the demo ended without serving (status {process.wait()})")
        yield url
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def served_in_thread(setup: Callable[[Testbed], None]) -> Iterator[str]:
    """A paused testbed set up by ``setup``, its dashboard served from another thread."""
    ready: queue.Queue[tuple[str, asyncio.AbstractEventLoop, asyncio.Event] | BaseException] \
        = queue.Queue()

    async def serve() -> None:
        try:
            async with Testbed(speed=60, paused=True) as tb:
                setup(tb)
                async with dashboard_site(tb, port=0) as site:
                    stop = asyncio.Event()
                    ready.put((site.url, asyncio.get_running_loop(), stop))
                    await stop.wait()
        except BaseException as exc:
            ready.put(exc)
            raise

    thread = threading.Thread(target=run, args=(serve(),), kwargs={"speed": 60})
    thread.start()
    got = ready.get(timeout=60)
    if isinstance(got, BaseException):
        thread.join()
        raise got
    url, loop, stop = got
    try:
        yield url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)


def run_until(page: Page, when: str) -> None:
    page.get_by_label("Run until").fill(when)
    page.get_by_role("button", name="Run until").click()
    expect(page.get_by_test_id("clock-time")).to_have_text(when)


def queue_cell(page: Page, queue_name: str, column: str) -> Any:
    return page.locator(f'tb-queues tr[data-queue="{queue_name}"] [data-col="{column}"]')


def agent_cell(page: Page, username: str, column: str) -> Any:
    return page.locator("tb-agents tr[data-agent]").filter(
        has=page.get_by_role("rowheader", name=username, exact=True)).locator(
        f'[data-col="{column}"]')


def record_field(page: Page, field: str) -> Any:
    return page.locator(f'tb-inspector tr[data-field="{field}"] td')


def test_at_11_38_50_one_callback_waits_11_s_for_an_offline_agent(
        demo: str, page: Page) -> None:
    page.goto(demo)
    expect(page.get_by_test_id("clock-time")).to_have_text("11:35:00")
    run_until(page, "11:38:50")
    expect(page.get_by_test_id("clock-date")).to_have_text("Fri 8 Apr 2022 UTC")
    expect(page.get_by_test_id("clock-pace")).to_have_text("x60 · paused")
    expect(queue_cell(page, "CallbackQueue", "in_queue")).to_have_text("1")
    expect(queue_cell(page, "CallbackQueue", "oldest")).to_have_text("00:00:11")
    expect(queue_cell(page, "CallbackQueue", "scheduled")).to_have_text("0")
    expect(queue_cell(page, "InboundQueue", "in_queue")).to_have_text("0")
    expect(queue_cell(page, "InboundQueue", "oldest")).to_have_text("")
    expect(agent_cell(page, "alex", "state")).to_have_text("Offline")
    expect(agent_cell(page, "alex", "since")).to_have_text("11:35:00")
    expect(page.get_by_role("listitem", name=re.compile("^Contact "))).to_have_count(2)


def test_a_step_to_11_39_25_puts_the_agent_on_the_callback(demo: str, page: Page) -> None:
    page.goto(demo)
    run_until(page, "11:38:50")
    page.get_by_label("Seconds to step").fill("35")
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("clock-time")).to_have_text("11:39:25")
    callback = page.get_by_role("listitem", name=re.compile(r"^Contact \S+ CALLBACK"))
    callback_id = callback.get_attribute("data-contact")
    assert callback_id is not None
    expect(agent_cell(page, "alex", "state")).to_have_text("Busy")
    expect(agent_cell(page, "alex", "since")).to_have_text("11:39:00")
    expect(agent_cell(page, "alex", "contact")).to_have_text(callback_id[:8])
    expect(queue_cell(page, "CallbackQueue", "in_queue")).to_have_text("0")
    expect(queue_cell(page, "CallbackQueue", "handled")).to_have_text("1")
    expect(queue_cell(page, "CallbackQueue", "staffed")).to_have_text("1")
    expect(callback.locator("rect.bar-talk")).to_have_count(1)


def test_the_callback_contacts_record_fills_in_as_it_happens(demo: str, page: Page) -> None:
    page.goto(demo)
    run_until(page, "11:38:50")
    page.get_by_role("listitem", name=re.compile(r"^Contact \S+ CALLBACK")).click()
    expect(record_field(page, "InitiationMethod")).to_have_text("CALLBACK")
    expect(record_field(page, "InitiationTimestamp")).to_have_text("2022-04-08T11:37:00Z")
    expect(record_field(page, "Queue.EnqueueTimestamp")).to_have_text("2022-04-08T11:38:39Z")
    expect(record_field(page, "Queue.DequeueTimestamp")).to_have_text("—")
    page.get_by_label("Seconds to step").fill("35")
    page.get_by_role("button", name="Step", exact=True).click()
    expect(record_field(page, "Queue.DequeueTimestamp")).to_have_text("2022-04-08T11:39:00Z")
    expect(record_field(page, "ConnectedToSystemTimestamp")).to_have_text(
        "2022-04-08T11:39:10Z")
    expect(record_field(page, "Agent.ConnectedToAgentTimestamp")).to_have_text(
        "2022-04-08T11:39:25Z")
    expect(record_field(page, "Queue.Duration")).to_have_text("120")
    events = page.get_by_role("list", name="Events")
    expect(events.locator("li").last).to_contain_text("11:39:25.000 CONNECTED_TO_AGENT alex")


def test_a_page_opened_mid_run_starts_with_the_centre_as_it_is(demo: str, page: Page) -> None:
    page.goto(demo)
    run_until(page, "11:39:25")
    page.goto(demo)  # a second look, opened mid-run
    expect(page.get_by_test_id("clock-time")).to_have_text("11:39:25")
    expect(agent_cell(page, "alex", "state")).to_have_text("Busy")
    expect(queue_cell(page, "CallbackQueue", "handled")).to_have_text("1")
    expect(page.get_by_role("listitem", name=re.compile("^Contact "))).to_have_count(2)


def test_the_clock_shown_is_the_testbeds_once_paused(demo: str, page: Page) -> None:
    page.goto(demo)
    expect(page.get_by_test_id("clock-pace")).to_have_text("x60 · paused")
    page.get_by_label("Speed (testbed seconds per real second)").fill("600")
    page.get_by_role("button", name="Set speed").click()
    expect(page.get_by_test_id("clock-pace")).to_have_text("x600 · paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_test_id("clock-time")).not_to_have_text("11:35:00")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id("clock-pace")).to_have_text("x600 · paused")
    clock = page.request.get(f"{demo}v1/clock").json()
    expect(page.get_by_test_id("clock-time")).to_have_text(clock["wall"][11:19])


SCRIPT = "<script>window.pwned = 1</script>"
IMAGE = "<img src=x onerror=window.pwned=2>"


def hostile_centre(tb: Testbed) -> None:
    """Values with markup in them: contact attributes (keys and values), an agent."""
    queue_name = "Support"
    tb.add_flow(Flow.of("Inbound", [
        SetAttributes(id="note", attributes={"note": SCRIPT, IMAGE: "key"}, next="queue"),
        SetWorkingQueue(id="queue", queue=queue_name, next="transfer"),
        TransferToQueue(id="transfer"),
    ]))
    tb.add_queue(queue_name)
    tb.add_number("+18005550100", "Inbound")
    tb.add_agent(MockAgent(IMAGE, [queue_name], available_at=30, talk_s=60))
    tb.add_caller(MockCaller("+15555550123", dial="+18005550100"))


def test_values_with_markup_are_shown_as_text(page: Page) -> None:
    with served_in_thread(hostile_centre) as url:
        page.goto(url)
        run_until(page, "11:35:40")
        expect(agent_cell(page, IMAGE, "state")).to_have_text("Busy")
        expect(queue_cell(page, "Support", "handled")).to_have_text("1")
        page.get_by_role("listitem", name=re.compile("^Contact ")).click()
        expect(record_field(page, "Attributes.note")).to_have_text(SCRIPT)
        expect(record_field(page, f"Attributes.{IMAGE}")).to_have_text("key")
        expect(page.get_by_role("list", name="Events")).to_contain_text(f"note={SCRIPT}")
        assert page.evaluate("window.pwned") is None
        assert page.locator("body img, body script").count() == 0


def test_a_load_run_is_charted_until_it_ends(browser: Browser) -> None:
    mmc = Path(__file__).resolve().parent.parent / "scripts" / "scenarios" / "mmc.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "testbed.cli", "load", str(mmc), "--callers", "300",
         "--speed", "200", "--dashboard", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = next(line.split()[1] for line in process.stdout if line.startswith("dashboard: "))
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url)  # the run starts now
        expect(page.get_by_role("heading", name="Agents (6)")).to_be_visible()
        expect(page.locator("tb-charts path.series")).to_have_count(2)
        # The run ends and its server stops; the page says so and keeps what it saw.
        expect(page.get_by_role("status")).to_have_text(re.compile("^disconnected"),
                                                         timeout=60_000)
        expect(page.locator("tb-charts path.series")).to_have_count(2)
        expect(page.get_by_role("listitem", name=re.compile("^Contact ")).first).to_be_visible()
    finally:
        page.close()
        process.terminate()
        process.wait(30)
    assert errors == []
