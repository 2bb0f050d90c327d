// Testbed time as people read it.  Every instant shown is the clock's start
// plus testbed seconds the server gave: the page never makes time up.

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
  "Nov", "Dec"];

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

/** The Date of testbed time t (seconds since the clock's start instant). */
export function instant(clock, t) {
  return new Date(Date.parse(clock.start) + Math.round(t * 1000));
}

/** "11:38:50" (UTC), with ".250" when ms is true. */
export function timeOfDay(clock, t, ms = false) {
  const d = instant(clock, t);
  const text = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return ms ? `${text}.${pad(d.getUTCMilliseconds(), 3)}` : text;
}

/** "Fri 8 Apr 2022". */
export function dateOf(clock, t) {
  const d = instant(clock, t);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "YYYY-MM-DD" of testbed time t. */
export function isoDate(clock, t) {
  return instant(clock, t).toISOString().slice(0, 10);
}

/** A duration as Connect shows ages: "00:00:11", "01:02:05"; "" for null. */
export function hms(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.floor(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** A percentage with one decimal, or "-" before there is any. */
export function percent(value) {
  return value === null || value === undefined ? "-" : `${value.toFixed(1)} %`;
}

/** The speed as "x60", "real time" or "virtual". */
export function pace(clock) {
  if (clock.virtual) return "virtual";
  if (clock.speed === 1) return "real time";
  return `x${Number(clock.speed.toPrecision(6))}`;
}

/** The first 8 characters of a contact id, as the terminal shows it. */
export function shortId(id) {
  return id ? String(id).slice(0, 8) : "";
}
