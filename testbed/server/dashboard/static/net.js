// The page's only connections: the /v1/events?view=1 WebSocket (reopened if
// it drops, starting again from a fresh VIEW), and requests made when a person
// acts (clock controls) or picks a contact (its record).

const RETRY_MS = [500, 1000, 2000, 5000];

/** Follow the centre: feed every frame of the stream to the model, for good. */
export function follow(model) {
  let attempt = 0;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/v1/events?view=1`);
    ws.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.kind === "VIEW") {
        attempt = 0;
        model.applyView(frame);
        model.setStatus("live");
      } else if (frame.kind === "TICK") {
        model.applyTick(frame);
      } else {
        model.applyEvent(frame);
      }
    });
    ws.addEventListener("close", () => {
      model.setStatus("disconnected");
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      attempt += 1;
      setTimeout(open, wait);
    });
  };
  open();
}

async function answer(response) {
  if (!response.ok) {
    const text = await response.text();
    throw new Error(text || `${response.status} ${response.statusText}`);
  }
  return response.json();
}

/** POST /v1/clock: the clock after the action. */
export async function clockAction(body) {
  return answer(await fetch("/v1/clock", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }));
}

/** GET /v1/contacts/{id}: the contact's record (CTR JSON) as it is now. */
export async function contactRecord(id) {
  return answer(await fetch(`/v1/contacts/${encodeURIComponent(id)}`));
}
