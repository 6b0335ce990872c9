// GET /local/outbox: what the SES emulator received (local runtime only), newest first.

import { describeError } from "./api.js";
import { byId, facts, fill, h, timeEl } from "./dom.js";

export function createOutboxPanel({ api }) {
  const root = byId("outbox");
  async function refresh() {
    let emails;
    try {
      ({ emails } = await api.get("/local/outbox"));
    } catch (error) {
      fill(root, h("p", { class: "field-error" }, describeError(error)));
      return;
    }
    if (!emails?.length) {
      fill(root, h("p", { class: "muted" }, "SES has received nothing yet."));
      return;
    }
    const newest = [...emails].reverse().slice(0, 50);
    fill(
      root,
      h(
        "p",
        { class: "muted" },
        `${emails.length} email${emails.length === 1 ? "" : "s"}${emails.length > 50 ? ", the newest 50 shown" : ""}.`,
      ),
      h(
        "ul",
        { class: "plain", id: "outbox-list" },
        newest.map((m) =>
          h(
            "li",
            { class: "email", dataset: { messageId: m.messageId } },
            h("strong", {}, m.subject || "(no subject)"),
            facts([
              ["To", [m.to].flat().join(", ")],
              ["From", m.from],
              ["At", timeEl(m.at)],
              ["Message id", h("span", { class: "mono" }, m.messageId)],
            ]),
            m.text ? h("details", {}, h("summary", {}, "Text"), h("pre", {}, m.text)) : "",
          ),
        ),
      ),
    );
  }
  byId("outbox-refresh").addEventListener("click", () => void refresh());
  return { refresh };
}
