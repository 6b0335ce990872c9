// The dead-letter queues (local runtime's /local/dlqs): depth, a peek at the messages, redrive.

import { describeError } from "./api.js";
import { busy, byId, fill, h } from "./dom.js";

const show = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

function prettyBody(body) {
  if (typeof body !== "string") return show(body);
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function createDlqsPanel({ api, onRedrive }) {
  const root = byId("dlqs");

  function queueItem(q) {
    const name = q.name;
    const output = h("div", { class: "peek", "aria-live": "polite" });
    const peek = h("button", { type: "button", class: "small", "aria-label": `Peek at ${name} DLQ` }, "Peek");
    const redrive = h(
      "button",
      { type: "button", class: "small", "aria-label": `Redrive ${name} DLQ`, disabled: q.depth === 0 },
      "Redrive",
    );
    peek.addEventListener("click", () =>
      busy(peek, async () => {
        try {
          const page = await api.get(`/local/dlqs/${encodeURIComponent(name)}/messages?limit=10`);
          const messages = page?.messages ?? [];
          fill(
            output,
            messages.length === 0
              ? h("p", { class: "muted" }, "Empty.")
              : h(
                  "ol",
                  {},
                  messages.map((m) => h("li", {}, h("pre", {}, prettyBody(m.body ?? m)))),
                ),
          );
        } catch (error) {
          fill(output, h("p", { class: "field-error" }, describeError(error)));
        }
      }),
    );
    redrive.addEventListener("click", () =>
      busy(redrive, async () => {
        try {
          const { moved } = await api.post(`/local/dlqs/${encodeURIComponent(name)}/redrive`, undefined);
          fill(
            output,
            h("p", {}, `Moved ${moved} message${moved === 1 ? "" : "s"} back to ${q.queue ?? "its queue"}.`),
          );
          onRedrive?.();
        } catch (error) {
          fill(output, h("p", { class: "field-error" }, describeError(error)));
        }
      }),
    );
    return h(
      "li",
      { class: "queue", dataset: { queue: name } },
      h("strong", {}, name),
      " ",
      h("span", { class: "depth" }, `depth ${q.depth}`),
      q.queue ? h("span", { class: "muted" }, ` → redrives to ${q.queue}`) : "",
      h("div", { class: "actions" }, peek, redrive),
      output,
    );
  }

  async function refresh() {
    try {
      const { queues } = await api.get("/local/dlqs");
      fill(root, h("ul", { class: "plain" }, (queues ?? []).map(queueItem)));
    } catch (error) {
      fill(root, h("p", { class: "field-error" }, describeError(error)));
    }
  }
  byId("dlqs-refresh").addEventListener("click", () => void refresh());
  return { refresh };
}
