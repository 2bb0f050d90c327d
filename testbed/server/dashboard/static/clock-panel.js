// <tb-clock>: testbed time, date and pace, and the controls that move it.

import { el, setText } from "./dom.js";
import { dateOf, isoDate, pace, timeOfDay } from "./format.js";
import { clockAction } from "./net.js";

/** "11:40" or "11:40:05" on the testbed's current date, or any ISO-8601 instant. */
export function untilInstant(clock, text) {
  const value = text.trim();
  if (/^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
    const [h, m, s = "0"] = value.split(":");
    const time = `${h.padStart(2, "0")}:${m}:${s.padStart(2, "0")}`;
    return `${isoDate(clock, clock.now_s)}T${time}Z`;
  }
  return value;
}

class ClockPanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.time = el("span", { class: "time", "data-testid": "clock-time" }, "--:--:--");
    this.date = el("span", { class: "date", "data-testid": "clock-date" });
    this.pace = el("span", { class: "pace", "data-testid": "clock-pace" });
    this.toggle = el("button", { type: "button", "data-testid": "pause-resume" }, "Pause");
    this.step = el("input", { type: "number", min: "0", step: "any", value: "10",
      "aria-label": "Seconds to step", class: "short" });
    this.until = el("input", { type: "text", placeholder: "11:40:00",
      "aria-label": "Run until (time or ISO instant)" });
    this.speed = el("input", { type: "number", min: "0", step: "any",
      "aria-label": "Speed (testbed seconds per real second)", class: "short" });
    this.error = el("div", { class: "error", role: "alert" });
    const stepButton = el("button", { type: "button" }, "Step");
    const untilButton = el("button", { type: "button" }, "Run until");
    const speedButton = el("button", { type: "button" }, "Set speed");
    this.append(el("section", { class: "panel clock-panel", "aria-label": "Clock" },
      el("div", { class: "readout" }, this.time, this.date, this.pace),
      el("div", { class: "controls" },
        this.toggle,
        el("span", { class: "control" }, this.step, " s ", stepButton),
        el("span", { class: "control" }, this.until, " ", untilButton),
        el("span", { class: "control" }, this.speed, " ", speedButton)),
      this.error));
    this.toggle.addEventListener("click", () => this.act(
      this.model.clock?.paused ? [{ action: "resume" }] : [{ action: "pause" }]));
    stepButton.addEventListener("click", () => this.stepBy());
    untilButton.addEventListener("click", () => this.runUntil());
    speedButton.addEventListener("click", () => this.setSpeed());
    const enter = (input, run) => input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") run();
    });
    enter(this.step, () => this.stepBy());
    enter(this.until, () => this.runUntil());
    enter(this.speed, () => this.setSpeed());
    this.model.subscribe((dirty) => {
      if (dirty.has("clock")) this.render();
    });
  }

  stepBy() {
    const seconds = Number(this.step.value);
    if (!(seconds >= 0)) return this.fail(`step needs seconds >= 0, got "${this.step.value}"`);
    // A step is taken on a paused clock: it moves by exactly that much, then waits.
    const actions = this.model.clock?.paused ? [] : [{ action: "pause" }];
    return this.act([...actions, { action: "advance", seconds }]);
  }

  runUntil() {
    if (!this.model.clock || !this.until.value.trim()) return undefined;
    return this.act([{ action: "run_until", until: untilInstant(this.model.clock, this.until.value) }]);
  }

  setSpeed() {
    const speed = Number(this.speed.value);
    if (!(speed > 0)) return this.fail(`speed must be a number > 0, got "${this.speed.value}"`);
    return this.act([{ action: "speed", speed }]);
  }

  fail(message) {
    setText(this.error, message);
  }

  async act(actions) {
    setText(this.error, "");
    try {
      for (const body of actions) this.model.setClock(await clockAction(body));
    } catch (error) {
      this.fail(error.message);
    }
  }

  render() {
    const clock = this.model.clock;
    if (!clock) return;
    setText(this.time, timeOfDay(clock, clock.now_s));
    setText(this.date, `${dateOf(clock, clock.now_s)} UTC`);
    setText(this.pace, `${pace(clock)} · ${clock.paused ? "paused" : "running"}`);
    setText(this.toggle, clock.paused ? "Resume" : "Pause");
    this.classList.toggle("paused", clock.paused);
    if (document.activeElement !== this.speed && !clock.virtual) {
      this.speed.placeholder = String(clock.speed);
    }
  }
}

customElements.define("tb-clock", ClockPanel);
