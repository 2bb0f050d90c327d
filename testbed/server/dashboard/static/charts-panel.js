// <tb-charts>: contacts in queue and agents on contact over testbed time, from
// the view's sampled history and every TICK since.

import { el, setText, svg } from "./dom.js";
import { timeOfDay } from "./format.js";

const HEIGHT = 140;
const PAD = { left: 36, right: 8, top: 8, bottom: 20 };
const SERIES = [[1, "in-queue", "Contacts in queue"], [2, "on-contact", "Agents on contact"]];

class ChartsPanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.chart = svg("svg", { class: "chart", height: HEIGHT, role: "img",
      "aria-label": "Contacts in queue and agents on contact over time" });
    this.now = el("span", { class: "summary", "data-testid": "chart-now" });
    const legend = el("div", { class: "legend" }, ...SERIES.map(([, cls, label]) =>
      el("span", { class: `key line-${cls}` }, label)));
    this.append(el("section", { class: "panel", "aria-label": "Charts" },
      el("div", { class: "panel-head" }, el("h2", {}, "Over time"), this.now), legend,
      this.chart));
    new ResizeObserver(() => this.render()).observe(this.chart);
    this.model.subscribe((dirty) => {
      if (dirty.has("history")) this.render();
    });
  }

  render() {
    const clock = this.model.clock;
    const points = this.model.history;
    if (!clock) return;
    const f = this.model.figures;
    setText(this.now, `now: ${f.in_queue} in queue, ${f.on_contact} on contact`);
    const width = Math.max(200, this.chart.clientWidth || 400);
    this.chart.setAttribute("width", width);
    const t0 = points.length ? points[0][0] : 0;
    const t1 = Math.max(clock.now_s, t0 + 1);
    const top = Math.max(1, ...points.map((p) => Math.max(p[1], p[2])));
    const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (width - PAD.left - PAD.right);
    const y = (v) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
    const nodes = [
      svg("line", { class: "axis-line", x1: PAD.left, x2: width - PAD.right,
        y1: y(0), y2: y(0) }),
      svg("text", { class: "tick-label", x: PAD.left - 4, y: y(top) + 4, "text-anchor": "end" }, top),
      svg("text", { class: "tick-label", x: PAD.left - 4, y: y(0) + 4, "text-anchor": "end" }, 0),
      svg("text", { class: "tick-label", x: PAD.left, y: HEIGHT - 4 }, timeOfDay(clock, t0)),
      svg("text", { class: "tick-label", x: width - PAD.right, y: HEIGHT - 4,
        "text-anchor": "end" }, timeOfDay(clock, t1)),
    ];
    for (const [index, cls] of SERIES) {
      // A step line: each value holds until the next sample.
      let d = "";
      let previous = null;
      for (const p of points) {
        d += previous === null ? `M${x(p[0]).toFixed(1)} ${y(p[index]).toFixed(1)}`
          : `H${x(p[0]).toFixed(1)}V${y(p[index]).toFixed(1)}`;
        previous = p;
      }
      if (previous !== null) d += `H${x(t1).toFixed(1)}`;
      if (d) nodes.push(svg("path", { class: `series line-${cls}`, d }));
    }
    this.chart.replaceChildren(...nodes);
  }
}

customElements.define("tb-charts", ChartsPanel);
