// Tiny DOM helpers: every text goes in through textContent (never innerHTML), so nothing an API
// returns (a subject, a provider's field) can inject markup into the page.

/** h("li", {class: "x", dataset: {tone: "ok"}}, "text", child) → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const byId = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
};

/** Replaces an element's children. */
export const fill = (el, ...children) => {
  el.replaceChildren();
  for (const child of children.flat()) if (child) el.append(child);
};

/** A <time> showing the local clock time, with the instant in `datetime`. */
export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, iso);
  return h("time", { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleTimeString());
}

/** A <dl class="facts"> from [term, value] pairs; pairs whose value is empty are left out. */
export function facts(pairs) {
  const dl = h("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(h("dt", {}, term), h("dd", {}, value));
  }
  return dl;
}

const TONES = {
  succeeded: "ok",
  ok: "ok",
  sent: "ok",
  delivered: "ok",
  retrying: "warn",
  processing: "warn",
  degraded: "warn",
  delayed: "warn",
  pending: "warn",
  authorized: "warn",
  partially_refunded: "warn",
  "half-open": "warn",
  half_open: "warn",
  failed: "bad",
  error: "bad",
  bounced: "bad",
  complained: "bad",
  open: "bad",
  queued: "info",
  refunded: "info",
};

/** A pill naming a state, coloured by what it means (and always spelled out, never colour alone). */
export const badge = (state, tone = TONES[state]) =>
  h("span", { class: "badge", dataset: tone ? { tone } : {} }, state);

/** Runs `run` while the button is disabled, so a double click sends once. */
export async function busy(button, run) {
  button.disabled = true;
  try {
    return await run();
  } finally {
    button.disabled = false;
  }
}
