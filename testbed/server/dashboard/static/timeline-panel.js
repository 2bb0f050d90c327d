// <tb-timeline>: one lane per contact, newest first, with a bar for each stretch
// of its life (flow, callback delay, queue, whisper, talk, hold, after-contact
// work) over a window of testbed time ending now.  Only the lanes in view are
// drawn, so thousands of contacts cost what a screenful does.

import { el, setText, svg } from "./dom.js";
import { BARS } from "./model.js";
import { shortId, timeOfDay } from "./format.js";

const ROW = 22;
const LABEL = 230;
const SPANS = [[300, "5 min"], [900, "15 min"], [3600, "1 h"], [14400, "4 h"]];
const STEPS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const NAMES = { flow: "flow", callback: "callback delay", queue: "queue", whisper: "whisper",
  talk: "talk", hold: "hold", acw: "after-contact work" };

class TimelinePanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.span = 900;
    this.selected = null;
    const select = el("select", { "aria-label": "Time window" },
      ...SPANS.map(([s, label]) => el("option", { value: s, selected: s === this.span }, label)));
    select.addEventListener("change", () => { this.span = Number(select.value); this.render(); });
    this.count = el("span", { class: "summary" });
    this.axis = svg("svg", { class: "axis", height: 20, "aria-hidden": "true" });
    this.lanes = svg("svg", { class: "lanes", role: "list", "aria-label": "Contacts" });
    this.spacer = el("div", { class: "spacer" }, this.lanes);
    this.scroller = el("div", { class: "lanes-scroll" }, this.spacer);
    const legend = el("div", { class: "legend" }, ...BARS.map((kind) =>
      el("span", { class: `key bar-${kind}` }, NAMES[kind])));
    this.append(el("section", { class: "panel", "aria-label": "Timeline" },
      el("div", { class: "panel-head" }, el("h2", {}, "Timeline"), this.count, select),
      legend, this.axis, this.scroller));
    this.scroller.addEventListener("scroll", () => this.render());
    this.lanes.addEventListener("click", (event) => this.pick(event));
    this.lanes.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") this.pick(event);
    });
    document.addEventListener("tb-select", (event) => {
      this.selected = event.detail.contact ?? null;
      this.render();
    });
    new ResizeObserver(() => this.render()).observe(this.scroller);
    this.model.subscribe((dirty) => {
      if (dirty.has("contacts") || dirty.has("clock")) this.render();
    });
  }

  pick(event) {
    const lane = event.target.closest("[data-contact]");
    if (!lane) return;
    this.dispatchEvent(new CustomEvent("tb-select", {
      bubbles: true, detail: { contact: lane.dataset.contact } }));
  }

  render() {
    const clock = this.model.clock;
    if (!clock) return;
    const ids = this.model.ids;
    const width = Math.max(this.scroller.clientWidth, LABEL + 100);
    const height = this.scroller.clientHeight || 300;
    // The window ends now and spans at most this.span; a run shorter than that is
    // shown from its first contact, so its bars use the whole width.
    const oldest = ids.length ? this.model.contacts.get(ids[0]).firstT : clock.now_s;
    const start = Math.max(clock.now_s - this.span, oldest);
    const end = Math.max(clock.now_s, start + 60);
    const x = (t) => LABEL + ((t - start) / (end - start)) * (width - LABEL - 8);
    setText(this.count, `${ids.length} contacts`);
    this.spacer.style.height = `${ids.length * ROW}px`;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW) - 2);
    const last = Math.min(ids.length, first + Math.ceil(height / ROW) + 4);
    this.lanes.style.top = `${first * ROW}px`;
    this.lanes.setAttribute("width", width);
    this.lanes.setAttribute("height", Math.max(1, (last - first) * ROW));
    const rows = [];
    for (let i = first; i < last; i += 1) {
      const contact = this.model.contacts.get(ids[ids.length - 1 - i]);
      rows.push(this.lane(contact, (i - first) * ROW, x, start, end, width, clock));
    }
    this.lanes.replaceChildren(...rows);
    this.drawAxis(x, start, end, width, clock);
  }

  lane(c, y, x, start, end, width, clock) {
    const who = [c.method ?? "", c.customer ?? ""].filter(Boolean).join(" ");
    const g = svg("g", { class: `lane${c.id === this.selected ? " selected" : ""}`,
      transform: `translate(0 ${y})`, "data-contact": c.id, role: "listitem",
      tabindex: "0", "aria-label": `Contact ${c.id} ${who}`.trim() },
      svg("rect", { class: "lane-bg", x: 0, y: 0, width, height: ROW }),
      svg("text", { class: "lane-label", x: 4, y: ROW - 7 },
        `${shortId(c.id)} ${who}`.slice(0, 34)));
    for (const bar of c.bars) {
      const to = bar.to ?? (c.completed ? c.endedT ?? bar.from : clock.now_s);
      if (to < start || bar.from > end) continue;
      const x0 = x(Math.max(bar.from, start));
      const x1 = Math.max(x0 + 2, x(Math.min(to, end)));
      const until = bar.to === null ? "now" : timeOfDay(clock, to);
      g.append(svg("rect", { class: `bar bar-${bar.kind}`, x: x0.toFixed(1), y: 4,
        width: (x1 - x0).toFixed(1), height: ROW - 8, rx: 2 },
      svg("title", {}, `${NAMES[bar.kind]} ${timeOfDay(clock, bar.from)} to ${until}`)));
    }
    return g;
  }

  drawAxis(x, start, end, width, clock) {
    const step = STEPS.find((s) => (end - start) / s <= 6) ?? 7200;
    const ticks = [];
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const px = x(t);
      ticks.push(svg("line", { x1: px, x2: px, y1: 14, y2: 20, class: "tick" }),
        svg("text", { x: px, y: 11, class: "tick-label" }, timeOfDay(clock, t)));
    }
    this.axis.setAttribute("width", width);
    this.axis.replaceChildren(...ticks);
  }
}

customElements.define("tb-timeline", TimelinePanel);
