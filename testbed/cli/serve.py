"""``testbed serve``: a contact centre for endpoints in other processes."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testbed.centre.facade import Testbed
from testbed.centre.instance import Instance
from testbed.cli.common import check_new_store, usage_error
from testbed.core.clock import run
from testbed.core.errors import ConfigError, FlowError
from testbed.core.loop import network_time
from testbed.flows import Flow
from testbed.flows.hours import HoursOfOperation
from testbed.flows.lex import Bot
from testbed.load.demos import CENTRES

__all__ = ["SHUTDOWN_S", "serve"]

#: Real seconds requests under way get to finish when the server stops.
SHUTDOWN_S = 2.0


def serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from testbed.server.app import create_app
    from testbed.server.webhook import check_webhook_url

    try:
        for url in args.events_webhook:
            check_webhook_url(url, "--events-webhook")
        for url in args.records_webhook:
            check_webhook_url(url, "--records-webhook")
        check_new_store(args.records, args.overwrite)  # before anything starts
        flows = flows_in(args.flows) if args.flows else []
        numbers = [number_route(text) for text in args.number]
    except (ConfigError, FlowError) as exc:
        usage_error(str(exc))

    async def serving() -> None:
        # With a durable store, finished contacts are read back from it rather than
        # kept in memory, so a long-running server does not grow with its records.
        async with Testbed(start=args.start, speed=args.speed, records=args.records,
                           paused=args.paused, overwrite=args.overwrite,
                           keep_finished_records=args.records == "memory:",
                           instance=Instance(args.instance_id)) as tb:
            if args.centre != "none":
                CENTRES[args.centre](tb)
            add_flows(tb, flows)
            for number, flow in numbers:
                tb.add_number(number, flow)
            # At shutdown, requests under way (endpoint sockets above all, which
            # stay open) get SHUTDOWN_S real seconds before they are cut.
            runner = web.AppRunner(create_app(tb, args.token,
                                              ack_timeout_s=args.ack_timeout_s,
                                              events_webhooks=args.events_webhook,
                                              records_webhooks=args.records_webhook),
                                   shutdown_timeout=SHUTDOWN_S)
            await runner.setup()
            # What exists now (modules, flows, the app) lives as long as the server:
            # out of the collector's way, full collections (which stop the loop)
            # walk only what serving creates.
            gc.collect()
            gc.freeze()
            try:
                # A burst of endpoints connects at once: past aiohttp's default
                # backlog (128) the kernel drops their SYNs and they retry a
                # second later.
                site = web.TCPSite(runner, args.host, args.port, backlog=socket.SOMAXCONN)
                await site.start()
                stop = asyncio.Event()
                # SIGTERM stops the server as Ctrl-C does: webhooks get their flush.
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
                host, port = runner.addresses[0][:2]
                what = "" if args.centre == "none" else f" the {args.centre} centre"
                print(f"testbed serving{what} on http://{host}:{port} (Ctrl-C to stop)",
                      flush=True)
                instance = tb.instance
                print(f"Connect instance {instance.instance_id} (region {instance.region}, "
                      f"account {instance.account})", flush=True)
                page = f"http://{host}:{port}/" + ("?token=TOKEN" if args.token else "")
                print(f"dashboard: {page}", flush=True)
                for url in args.events_webhook:
                    print(f"contact events are POSTed to {url}", flush=True)
                for url in args.records_webhook:
                    print(f"contact records are POSTed to {url}", flush=True)
                await stop.wait()
            finally:
                with network_time():  # its shutdown timeouts are real seconds
                    await runner.cleanup()

    try:
        with _webhook_warnings():
            run(serving(), speed=args.speed)
    except OSError as exc:
        print(f"testbed: error: cannot serve on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 1
    return 0


@contextmanager
def _webhook_warnings() -> Iterator[None]:
    """Webhook warnings (deliveries failing, dropped, refused) as ``testbed: warning:`` lines."""
    logger = logging.getLogger("testbed.server.webhook")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("testbed: warning: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def flows_in(directory: str) -> list[Flow | Bot | list[HoursOfOperation]]:
    """The flows, Lex bots and hours of operation in ``directory``'s JSON files."""
    from testbed.cli.flows import read_flow_file

    paths = sorted(Path(directory).glob("*.json"))
    if not paths:
        raise ConfigError(f"--flows: no *.json flow files in {directory!r}")
    return [read_flow_file(str(path)) for path in paths]


def add_flows(tb: Testbed, found: list[Flow | Bot | list[HoursOfOperation]]) -> None:
    """Add what ``flows_in`` found: hours first, then bots and flows, and every queue
    the flows name."""
    from testbed.flows.connect import flow_references

    flows = [item for item in found if isinstance(item, Flow)]
    for item in found:
        if isinstance(item, list):
            for hours in item:
                tb.add_hours(hours)
        elif isinstance(item, Bot):
            tb.add_bot(item.name, item)
    tb.add_flow(*flows)
    for flow in flows:
        for queue in sorted(flow_references(flow)[0]):
            if queue not in tb.switchboard.queues:
                tb.add_queue(queue)


def number_route(text: str) -> tuple[str, str]:
    number, sep, flow = text.partition("=")
    if not sep or not number or not flow:
        raise ConfigError(f"--number takes NUMBER=FLOW, got {text!r}")
    return number, flow
