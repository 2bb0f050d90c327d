// <tb-queues>: Connect's real-time columns per queue, from the server's TICKs.

import { el, setText } from "./dom.js";
import { hms, percent } from "./format.js";

const COLUMNS = [
  ["queue", "Queue"], ["in_queue", "In queue"], ["oldest", "Oldest"],
  ["scheduled", "Scheduled"], ["staffed", "Staffed"], ["available", "Available"],
  ["handled", "Handled"], ["abandoned", "Abandoned"], ["sl20", "SL 20 s"], ["sl60", "SL 60 s"],
];

function cells(row) {
  return {
    queue: row.queue, in_queue: row.in_queue, oldest: hms(row.oldest_age_s),
    scheduled: row.scheduled, staffed: row.staffed, available: row.available,
    handled: row.handled, abandoned: row.abandoned,
    sl20: percent(row.service_level["20"]), sl60: percent(row.service_level["60"]),
  };
}

class QueuesPanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.rows = new Map();
    this.body = el("tbody");
    this.summary = el("p", { class: "summary", "data-testid": "agent-summary" });
    const head = el("tr", {}, ...COLUMNS.map(([key, label]) =>
      el("th", { scope: "col", class: key === "queue" ? "" : "n" }, label)));
    this.append(el("section", { class: "panel", "aria-label": "Queues" },
      el("h2", {}, "Queues"), this.summary,
      el("table", { "aria-label": "Queues" }, el("thead", {}, head), this.body)));
    this.model.subscribe((dirty) => {
      if (dirty.has("queues")) this.render();
    });
  }

  render() {
    const seen = new Set();
    for (const row of this.model.queues) {
      seen.add(row.queue);
      let tr = this.rows.get(row.queue);
      if (!tr) {
        tr = el("tr", { "data-queue": row.queue }, ...COLUMNS.map(([key]) =>
          el(key === "queue" ? "th" : "td",
            { "data-col": key, class: key === "queue" ? "" : "n", scope: key === "queue" ? "row" : null })));
        this.rows.set(row.queue, tr);
      }
      const values = cells(row);
      for (const cell of tr.children) setText(cell, values[cell.dataset.col]);
      tr.classList.toggle("waiting", row.in_queue > 0);
      this.body.append(tr);  // keeps the server's order (by name)
    }
    for (const [name, tr] of this.rows) {
      if (!seen.has(name)) { tr.remove(); this.rows.delete(name); }
    }
    const counts = Object.entries(this.model.figures.agents_by_state)
      .map(([state, n]) => `${n} ${state}`).join(", ");
    setText(this.summary, counts ? `Agents: ${counts}` : "No agents yet");
  }
}

customElements.define("tb-queues", QueuesPanel);
