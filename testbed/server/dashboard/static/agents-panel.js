// <tb-agents>: each agent's state, since when, the contact, and the latest
// status changes.  A row is made once and only its changed cells are rewritten.

import { el, setText } from "./dom.js";
import { hms, shortId, timeOfDay } from "./format.js";

const COLUMNS = [["agent", "Agent"], ["state", "State"], ["since", "Since"], ["for", "For"],
  ["contact", "Contact"], ["changes", "Latest changes"]];

class AgentsPanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.rows = new Map();
    this.body = el("tbody");
    this.heading = el("h2", {}, "Agents");
    const head = el("tr", {}, ...COLUMNS.map(([, label]) => el("th", { scope: "col" }, label)));
    this.append(el("section", { class: "panel", "aria-label": "Agents" }, this.heading,
      el("div", { class: "scroll" },
        el("table", { "aria-label": "Agents" }, el("thead", {}, head), this.body))));
    this.body.addEventListener("click", (event) => {
      const tr = event.target.closest("tr[data-agent]");
      if (tr) this.dispatchEvent(new CustomEvent("tb-select", {
        bubbles: true, detail: { agent: tr.dataset.agent } }));
    });
    this.model.subscribe((dirty) => {
      if (dirty.has("agents") || dirty.has("clock")) this.render(dirty.has("agents"));
    });
  }

  render(changed) {
    const clock = this.model.clock;
    if (!clock) return;
    const agents = this.model.agents;
    if (changed) {
      let added = false;
      for (const name of agents.keys()) {
        if (this.rows.has(name)) continue;
        const tr = el("tr", { "data-agent": name, tabindex: "0" },
          ...COLUMNS.map(([key]) => el(key === "agent" ? "th" : "td",
            { "data-col": key, scope: key === "agent" ? "row" : null })));
        this.rows.set(name, tr);
        added = true;
      }
      if (added) {
        const names = [...this.rows.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
        for (const name of names) this.body.append(this.rows.get(name));
      }
      setText(this.heading, `Agents (${agents.size})`);
    }
    for (const [name, tr] of this.rows) {
      const a = agents.get(name);
      const [agent, state, since, forCell, contact, changes] = tr.children;
      setText(forCell, hms(clock.now_s - a.since));
      if (!changed) continue;
      setText(agent, name);
      setText(state, a.state);
      state.dataset.state = a.state;
      setText(since, timeOfDay(clock, a.since));
      setText(contact, shortId(a.contact));
      setText(changes, a.changes.slice(-3).reverse()
        .map(([t, s]) => `${timeOfDay(clock, t)} ${s}`).join(" · "));
    }
  }
}

customElements.define("tb-agents", AgentsPanel);
