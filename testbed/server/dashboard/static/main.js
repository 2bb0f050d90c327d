// The dashboard: one model fed by one WebSocket, and the panels that show it.

import { Centre } from "./model.js";
import { follow } from "./net.js";
import { setText } from "./dom.js";

window.centre = new Centre();

class Connection extends HTMLElement {
  connectedCallback() {
    const model = window.centre;
    this.setAttribute("role", "status");
    model.subscribe((dirty) => {
      if (!dirty.has("status")) return;
      const words = { connecting: "connecting…", live: "live",
        disconnected: "disconnected: the testbed has stopped or is unreachable (retrying)" };
      setText(this, words[model.status] ?? model.status);
      this.dataset.status = model.status;
    });
    setText(this, "connecting…");
  }
}

customElements.define("tb-connection", Connection);

await Promise.all([
  import("./clock-panel.js"), import("./queues-panel.js"), import("./agents-panel.js"),
  import("./charts-panel.js"), import("./timeline-panel.js"), import("./inspector-panel.js"),
]);
follow(window.centre);
