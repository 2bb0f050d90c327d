// <tb-inspector>: the contact or agent picked.  A contact shows its record as
// the server folds it (fetched again whenever the contact has new events) and
// its event log; an agent shows its state and status changes.

import { el, setText } from "./dom.js";
import { hms, shortId, timeOfDay } from "./format.js";
import { contactRecord } from "./net.js";

/** A few words on an event's data, as the terminal's timeline gives them. */
export function describe(e) {
  const d = e.data;
  switch (e.kind) {
    case "AGENT_STATE": return `agent ${d[0]} is ${d[1]}${d[2] ? ` (${shortId(d[2])})` : ""}`;
    case "INITIATED": return `${d[0]} contact from ${d[2] ?? "?"}${d[1] ? `, after ${shortId(d[1])}` : ""}`;
    case "SCHEDULED": return `callback scheduled for ${d[0]} in ${d[1]} s`;
    case "ENQUEUED": return `in queue ${d}`;
    case "NEXT_CONTACT": return `followed by ${shortId(d)}`;
    case "DEQUEUED": return d ? `accepted by ${d}` : "left the queue";
    case "ATTRIBUTES": return d.map(([k, v]) => `${k}=${v}`).join(", ");
    default:
      if (d === null || d === undefined) return "";
      return typeof d === "object" ? JSON.stringify(d) : String(d);
  }
}

/** [["Queue.EnqueueTimestamp", "2022-..."], ...] in the record's own order. */
function flatten(value, prefix = "", out = []) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (!keys.length && prefix) out.push([prefix, "{}"]);
    for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.push([prefix, value === null ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value)]);
  }
  return out;
}

class InspectorPanel extends HTMLElement {
  connectedCallback() {
    if (this.model) return;
    this.model = window.centre;
    this.picked = null;
    this.loading = false;
    this.again = false;
    this.heading = el("h2", {}, "Details");
    this.body = el("div", { class: "inspector-body" },
      el("p", { class: "hint" }, "Click a contact's lane or an agent's row."));
    this.append(el("section", { class: "panel", "aria-label": "Details" }, this.heading, this.body));
    document.addEventListener("tb-select", (event) => this.pick(event.detail));
    this.body.addEventListener("click", (event) => {
      const link = event.target.closest("[data-goto]");
      if (link) this.dispatchEvent(new CustomEvent("tb-select", {
        bubbles: true, detail: { contact: link.dataset.goto } }));
    });
    this.model.subscribe((dirty, changed) => {
      if (!this.picked) return;
      if (this.picked.contact && changed.has(this.picked.contact)) {
        this.renderEvents();
        this.refresh();
      } else if (this.picked.agent && (dirty.has("agents") || dirty.has("clock"))) {
        this.renderAgent();
      }
    });
  }

  pick(detail) {
    this.picked = detail;
    if (detail.contact) {
      setText(this.heading, `Contact ${detail.contact}`);
      this.record = el("table", { class: "record", "aria-label": "Contact record" },
        el("tbody", {}, el("tr", {}, el("td", {}, "loading…"))));
      this.events = el("ol", { class: "events", "aria-label": "Events" });
      this.error = el("p", { class: "error", role: "alert" });
      this.body.replaceChildren(el("div", { class: "columns" },
        el("div", {}, el("h3", {}, "Record"), this.error, this.record),
        el("div", {}, el("h3", {}, "Events"), this.events)));
      this.renderEvents();
      this.refresh();
    } else {
      setText(this.heading, `Agent ${detail.agent}`);
      this.agentBox = el("div");
      this.body.replaceChildren(this.agentBox);
      this.renderAgent();
    }
  }

  async refresh() {
    if (this.loading) { this.again = true; return; }
    const id = this.picked.contact;
    this.loading = true;
    try {
      const record = await contactRecord(id);
      if (this.picked?.contact === id) this.renderRecord(record);
    } catch (error) {
      if (this.picked?.contact === id) setText(this.error, error.message);
    } finally {
      this.loading = false;
      if (this.again) { this.again = false; this.refresh(); }
    }
  }

  renderRecord(record) {
    setText(this.error, "");
    const links = new Set(["PreviousContactId", "NextContactId", "InitialContactId", "RelatedContactId"]);
    const rows = flatten(record).map(([field, value]) => {
      const cell = links.has(field) && value !== "—" && value !== record.ContactId
        ? el("td", {}, el("button", { type: "button", class: "link", "data-goto": value }, value))
        : el("td", {}, value);
      return el("tr", { "data-field": field }, el("th", { scope: "row" }, field), cell);
    });
    this.record.replaceChildren(el("tbody", {}, ...rows));
  }

  renderEvents() {
    const clock = this.model.clock;
    const contact = this.model.contacts.get(this.picked.contact);
    if (!clock || !this.events) return;
    if (!contact) {
      this.events.replaceChildren(el("li", { class: "hint" }, "No events kept for this contact."));
      return;
    }
    this.events.replaceChildren(...contact.events.map((e) => el("li", {},
      el("time", {}, timeOfDay(clock, e.t, true)), " ", el("b", {}, e.kind), " ", describe(e))));
  }

  renderAgent() {
    const clock = this.model.clock;
    const agent = this.model.agents.get(this.picked.agent);
    if (!clock || !this.agentBox) return;
    if (!agent) { this.agentBox.replaceChildren(el("p", {}, "Unknown agent.")); return; }
    const contact = agent.contact
      ? el("button", { type: "button", class: "link", "data-goto": agent.contact }, agent.contact)
      : "none";
    this.agentBox.replaceChildren(
      el("p", { "data-testid": "agent-state" }, `${agent.state} since ${timeOfDay(clock, agent.since)} `
        + `(${hms(clock.now_s - agent.since)})`),
      el("p", {}, "Contact: ", contact),
      el("h3", {}, "Status changes"),
      el("ol", { class: "events" }, ...agent.changes.slice().reverse().map(([t, state, id]) =>
        el("li", {}, el("time", {}, timeOfDay(clock, t, true)), " ", el("b", {}, state),
          id ? ` ${shortId(id)}` : ""))));
  }
}

customElements.define("tb-inspector", InspectorPanel);
