// The page's picture of the contact centre, folded from the frames of
// /v1/events?view=1: a VIEW first (the centre when the page connected), then
// each event as it happens and a TICK whenever the clock or the queue figures
// change.  Panels subscribe and are told once per animation frame what changed.

const MAX_CONTACTS = 2000;        // contacts kept (the oldest finished ones go first)
const MAX_EVENTS = 200;           // events kept per contact
const MAX_CHANGES = 20;           // status changes kept per agent
const MAX_POINTS = 2000;          // chart points kept (thinned when full)

/** Bar kinds on a contact's lane, in the order a call meets them. */
export const BARS = ["flow", "callback", "queue", "whisper", "talk", "hold", "acw"];

function newContact(id, t) {
  return {
    id, firstT: t, method: null, customer: null, previous: null, next: null,
    queue: null, agent: null, reason: null, endedT: null, completed: false,
    attributes: {}, bars: [], open: null, acw: null, events: [], waiting: false,
  };
}

function closeBar(contact, t) {
  if (contact.open) {
    contact.open.to = t;
    contact.open = null;
  }
}

function openBar(contact, kind, t) {
  closeBar(contact, t);
  const bar = { kind, from: t, to: null };
  contact.bars.push(bar);
  contact.open = bar;
}

/** Apply one contact event to a contact (the timeline's bars, its fields). */
function foldContact(c, e) {
  const t = e.t;
  const d = e.data;
  switch (e.kind) {
    case "INITIATED":
      c.method = d[0]; c.previous = d[1]; c.customer = d[2];
      if (d[0] !== "CALLBACK") openBar(c, "flow", t);
      break;
    case "SCHEDULED": c.queue = d[0]; openBar(c, "callback", t); break;
    case "ENQUEUED": c.queue = d; openBar(c, "queue", t); break;
    case "DEQUEUED":
      if (d) { c.agent = d; openBar(c, "whisper", t); } else { openBar(c, "flow", t); }
      break;
    case "CONNECTED_TO_AGENT": c.agent = d; openBar(c, "talk", t); break;
    case "HOLD": openBar(c, "hold", t); break;
    case "RESUME": openBar(c, "talk", t); break;
    case "NEXT_CONTACT": c.next = d; break;
    case "ATTRIBUTES": for (const [k, v] of d) c.attributes[k] = v; break;
    case "DISCONNECTED": closeBar(c, t); c.endedT = t; c.reason = d; break;
    case "ACW_STARTED":
      c.acw = { kind: "acw", from: t, to: null };
      c.bars.push(c.acw);
      break;
    case "ACW_ENDED": if (c.acw) { c.acw.to = t; c.acw = null; } break;
    case "COMPLETED":
      closeBar(c, t);
      if (c.acw) { c.acw.to = t; c.acw = null; }
      c.completed = true;
      break;
    default: break;
  }
}

export class Centre {
  constructor() {
    this.clock = null;
    this.status = "connecting";
    this.queues = [];
    this.figures = { in_queue: 0, on_contact: 0, agents_by_state: {} };
    this.inQueue = 0;               // for the charts, kept from events between TICKs
    this.onContact = 0;
    this.live = false;              // true once the VIEW is in: events are news
    this.agents = new Map();
    this.contacts = new Map();
    this.ids = [];                  // contact ids, oldest first
    this.history = [];              // [t, in queue, on contact]
    this.latest = [];               // the latest events (any contact)
    this.listeners = new Set();
    this.dirty = new Set();
    this.changed = new Set();       // contact ids with new events since the last frame
    this.frame = 0;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  mark(what) {
    this.dirty.add(what);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const dirty = this.dirty;
    const changed = this.changed;
    this.dirty = new Set();
    this.changed = new Set();
    for (const listener of this.listeners) listener(dirty, changed);
  }

  setStatus(status) {
    this.status = status;
    this.mark("status");
  }

  setClock(clock) {
    this.clock = clock;
    this.mark("clock");
  }

  /** The first frame: forget everything and start from the centre as it is. */
  applyView(frame) {
    this.live = false;              // the VIEW's contacts are history, not news
    this.agents.clear();
    this.contacts.clear();
    this.ids = [];
    this.latest = [];
    this.history = frame.history.map((p) => p.slice());
    for (const a of frame.agents) {
      this.agents.set(a.username, {
        username: a.username, state: a.state, agentState: a.agent_state,
        since: a.since_s, contact: a.contact_id, changes: a.changes.map((c) => c.slice()),
      });
    }
    for (const { contact_id: id, events } of frame.contacts) {
      for (const e of events) this.contactEvent(id, e);
    }
    this.inQueue = frame.in_queue;
    this.onContact = frame.on_contact;
    this.live = true;
    this.applyTick(frame);
    for (const what of ["agents", "contacts", "history", "events"]) this.mark(what);
  }

  applyTick(frame) {
    this.setClock(frame.clock);
    this.queues = frame.queues;
    this.figures = {
      in_queue: frame.in_queue, on_contact: frame.on_contact,
      agents_by_state: frame.agents_by_state,
    };
    // The server's figures are the truth; events since only refine them.
    this.inQueue = frame.in_queue;
    this.onContact = frame.on_contact;
    this.point(frame.clock.now_s);
    this.mark("queues");
  }

  /** A chart point: contacts in queue and agents on contact from t on. */
  point(t) {
    const history = this.history;
    const last = history[history.length - 1];
    const point = [t, this.inQueue, this.onContact];
    if (last && last[0] > t) return;
    if (last && last[0] === t) {
      history[history.length - 1] = point;
    } else {
      history.push(point);
      if (history.length > MAX_POINTS) {
        this.history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
      }
    }
    this.mark("history");
  }

  applyEvent(e) {
    this.latest.push(e);
    if (this.latest.length > 50) this.latest.shift();
    this.mark("events");
    if (e.kind === "AGENT_STATE") {
      const [username, state, contact] = e.data;
      let agent = this.agents.get(username);
      if (!agent) {
        agent = { username, state: "", agentState: "", since: e.t, contact: null, changes: [] };
        this.agents.set(username, agent);
      }
      if ((agent.agentState === "Busy") !== (state === "Busy")) {
        this.onContact += state === "Busy" ? 1 : -1;
        this.point(e.t);
      }
      agent.agentState = state;
      this.enter(agent, e.t, state, contact);
      return;
    }
    if (e.kind === "OFFERED" || e.kind === "HOLD" || e.kind === "RESUME") {
      const agent = this.agents.get(e.data);
      if (agent && e.kind === "OFFERED" && agent.agentState === "Available") {
        this.enter(agent, e.t, "Incoming", e.contact_id);
      } else if (agent && e.kind !== "OFFERED" && agent.agentState === "Busy"
                 && agent.contact === e.contact_id) {
        this.enter(agent, e.t, e.kind === "HOLD" ? "OnHold" : "Busy", e.contact_id);
      }
    }
    this.contactEvent(e.contact_id, e);
  }

  enter(agent, t, state, contact) {
    if (agent.state === state && agent.contact === contact) return;
    agent.state = state;
    agent.since = t;
    agent.contact = contact;
    agent.changes.push([t, state, contact]);
    if (agent.changes.length > MAX_CHANGES) agent.changes.shift();
    this.mark("agents");
  }

  contactEvent(id, e) {
    let contact = this.contacts.get(id);
    if (!contact) {
      contact = newContact(id, e.t);
      this.contacts.set(id, contact);
      this.ids.push(id);
      this.prune();
    }
    if (contact.events.length < MAX_EVENTS) contact.events.push(e);
    const waiting = contact.waiting;
    foldContact(contact, e);
    contact.waiting = e.kind === "ENQUEUED" || (waiting && !["DEQUEUED", "DISCONNECTED",
      "COMPLETED"].includes(e.kind));
    if (contact.waiting !== waiting) {
      this.inQueue += contact.waiting ? 1 : -1;
      if (this.live) this.point(e.t);
    }
    this.changed.add(id);
    this.mark("contacts");
  }

  prune() {
    if (this.ids.length <= MAX_CONTACTS) return;
    const keep = [];
    let drop = this.ids.length - Math.floor(MAX_CONTACTS * 0.9);  // in batches
    for (const id of this.ids) {
      if (drop > 0 && this.contacts.get(id).completed) {
        this.contacts.delete(id);
        drop -= 1;
      } else {
        keep.push(id);
      }
    }
    this.ids = keep;
  }
}
