// The dead-letter queues (local runtime's /local/dlqs): depth, a peek at the messages, redrive.

import { describeError } from "./api.js";
import { busy, byId, facts, fill, h, timeEl } from "./dom.js";

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
                  messages.map((m) =>
                    h(
                      "li",
                      {},
                      facts([
                        ["Message id", m.messageId ? h("span", { class: "mono" }, m.messageId) : undefined],
                        ["Received", m.receiveCount === undefined ? undefined : `${m.receiveCount} times`],
                        ["Sent", m.sentAt ? timeEl(m.sentAt) : undefined],
                      ]),
                      h("pre", {}, prettyBody(m.body ?? m)),
                    ),
                  ),
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
            h("p", {}, `Moved ${moved} message${moved === 1 ? "" : "s"} back to the ${name} queue.`),
          );
          onRedrive?.();
        } catch (error) {
          fill(output, h("p", { class: "field-error" }, describeError(error)));
        }
      }),
    );
    const depthEl = h("span", { class: "depth" }, `depth ${q.depth}`);
    const li = h(
      "li",
      { class: "queue", dataset: { queue: name } },
      h("strong", {}, name),
      " ",
      depthEl,
      q.queue ? h("span", { class: "muted" }, ` (${q.queue})`) : "",
      h("div", { class: "actions" }, peek, redrive),
      output,
    );
    // A refresh updates the depth in place, so a peek or a redrive's answer stays on screen.
    return {
      li,
      update(next) {
        depthEl.textContent = `depth ${next.depth}`;
        redrive.disabled = next.depth === 0;
      },
    };
  }

  const shown = new Map();
  async function refresh() {
    try {
      const { queues } = await api.get("/local/dlqs");
      if (shown.size === 0) root.replaceChildren(h("ul", { class: "plain", id: "dlq-list" }));
      const list = root.querySelector("#dlq-list");
      for (const q of queues ?? []) {
        const known = shown.get(q.name);
        if (known) known.update(q);
        else {
          const item = queueItem(q);
          shown.set(q.name, item);
          list.append(item.li);
        }
      }
    } catch (error) {
      shown.clear();
      fill(root, h("p", { class: "field-error" }, describeError(error)));
    }
  }
  byId("dlqs-refresh").addEventListener("click", () => void refresh());
  return { refresh };
}
