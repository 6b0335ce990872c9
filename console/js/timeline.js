// The live timeline: one card per watched task, one line per state it went through, as pushed
// over the WebSocket. An update whose version is not newer than the last one seen is dropped
// (the subscribe snapshot can race a transition), so each state shows once, in order.

import { badge, byId, h, timeEl } from "./dom.js";

const FINAL = new Set(["succeeded", "failed"]);

function secondsUntil(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : undefined;
}

/** What one transition says, in words. */
function describe(task) {
  const error = task.error ? `${task.error.code}: ${task.error.message}` : "";
  switch (task.status) {
    case "queued":
      return "accepted and queued";
    case "processing":
      return `sending, attempt ${task.attempts}`;
    case "retrying": {
      const wait = task.nextAttemptAt ? secondsUntil(task.nextAttemptAt) : undefined;
      return [
        `attempt ${task.attempts} failed${error ? ` (${error})` : ""}; `,
        task.nextAttemptAt
          ? h(
              "span",
              {},
              "next attempt at ",
              timeEl(task.nextAttemptAt),
              wait === undefined ? "" : ` (in ${wait} s)`,
            )
          : "retrying",
      ];
    }
    case "succeeded":
      return `SES accepted it${task.result?.messageId ? `, message id ${task.result.messageId}` : ""} after ${task.attempts} attempt${task.attempts === 1 ? "" : "s"}`;
    case "failed":
      return `gave up after ${task.attempts} attempt${task.attempts === 1 ? "" : "s"}: ${error || "no reason given"}`;
    default:
      return "";
  }
}

/** SES's detail of a delivery state ({bounceType, subType, diagnostic…}) as one line. */
function detailText(detail) {
  if (!detail) return "";
  if (typeof detail === "string") return detail;
  return Object.values(detail)
    .filter((v) => typeof v === "string" && v !== "")
    .join(" · ");
}

function deliveryList(delivery) {
  const entries = Object.entries(delivery ?? {});
  if (entries.length === 0) return undefined;
  return h(
    "div",
    { class: "delivery" },
    h("h4", {}, "Delivery per recipient"),
    h(
      "ul",
      { class: "plain" },
      entries.map(([recipient, d]) =>
        h(
          "li",
          { dataset: { recipient } },
          h("span", { class: "mono" }, recipient),
          " ",
          badge(d?.state ?? "unknown"),
          " ",
          timeEl(d?.at),
          detailText(d?.detail) ? h("span", { class: "muted" }, ` — ${detailText(d.detail)}`) : "",
        ),
      ),
    ),
  );
}

export class Timeline {
  #root;
  #realtime;
  #onUpdate;
  #tasks = new Map();

  constructor(realtime, { onUpdate } = {}) {
    this.#root = byId("timeline");
    this.#realtime = realtime;
    this.#onUpdate = onUpdate ?? (() => undefined);
  }

  /**
   * Shows a card for the task (once) and subscribes to it. `meta` says what was sent, if known;
   * `accepted` is the POST's own answer, shown at once, before the first push arrives.
   */
  watch(taskId, meta = {}, accepted) {
    let entry = this.#tasks.get(taskId);
    if (!entry) {
      entry = this.#card(taskId, meta);
      this.#tasks.set(taskId, entry);
      if (accepted?.status) {
        entry.card.dataset.status = accepted.status;
        entry.status.replaceChildren(badge(accepted.status));
        entry.list.append(
          h(
            "li",
            { dataset: { status: accepted.status, attempts: "0" } },
            timeEl(new Date().toISOString()),
            " ",
            badge(accepted.status),
            " accepted by the API",
          ),
        );
      }
    }
    this.#realtime.subscribe(taskId);
    return entry.card;
  }

  /** Handles one server message from the WebSocket. */
  onMessage(message) {
    if (message.type === "task.updated" && message.task) this.#apply(message.task);
    else if (message.type === "error" && message.taskId) this.#problem(message.taskId, message.error);
  }

  #card(taskId, meta) {
    this.#root.querySelector(".empty")?.remove();
    const status = h("span", { class: "status" }, badge("watching", "info"));
    const list = h("ol", { "aria-label": `States of ${taskId}` });
    const delivery = h("div", {});
    const note = h("p", { class: "field-error", hidden: true });
    const what = [meta.subject && `“${meta.subject}”`, meta.to && `to ${[meta.to].flat().join(", ")}`]
      .filter(Boolean)
      .join(" ");
    const card = h(
      "article",
      { class: "task", dataset: { taskId }, "aria-label": `Task ${taskId}` },
      h("header", {}, h("h3", { class: "mono" }, taskId), status),
      what ? h("p", { class: "muted" }, what) : "",
      list,
      delivery,
      note,
    );
    this.#root.prepend(card);
    return { card, status, list, delivery, note, lastVersion: 0, deliveryKey: "{}" };
  }

  #apply(task) {
    const entry = this.#tasks.get(task.id) ?? this.#card(task.id, {});
    this.#tasks.set(task.id, entry);
    if (typeof task.version === "number" && task.version <= entry.lastVersion) return;
    const deliveryKey = JSON.stringify(task.delivery ?? {});
    const deliveryChanged = deliveryKey !== entry.deliveryKey;
    // A transition (a new status) adds a line; a version that keeps the status brought delivery
    // news only (SES events bump the version too) and adds a delivery line instead; the first
    // push repeating the POST's "queued" adds nothing. Compared with the last status line, not
    // the last line, which may be a delivery one.
    const statusLines = entry.list.querySelectorAll("li:not([data-status=delivery])");
    const lastLine = statusLines[statusLines.length - 1]?.dataset;
    const isTransition =
      lastLine?.status !== task.status || (lastLine?.attempts ?? "") !== String(task.attempts ?? "");
    if (isTransition) {
      entry.list.append(
        h(
          "li",
          {
            dataset: {
              status: task.status,
              version: String(task.version ?? ""),
              attempts: String(task.attempts ?? ""),
            },
          },
          timeEl(task.updatedAt),
          " ",
          badge(task.status),
          " ",
          describe(task),
        ),
      );
    }
    if (deliveryChanged) {
      const changes = Object.entries(task.delivery ?? {})
        .map(([recipient, d]) => `${recipient} ${d?.state ?? "?"}`)
        .join(", ");
      entry.list.append(
        h("li", { dataset: { status: "delivery" } }, timeEl(task.updatedAt), ` delivery: ${changes}`),
      );
    }
    entry.deliveryKey = deliveryKey;
    entry.delivery.replaceChildren(deliveryList(task.delivery) ?? "");
    entry.lastVersion = task.version ?? entry.lastVersion + 1;
    entry.card.dataset.status = task.status;
    entry.status.replaceChildren(badge(task.status));
    this.#onUpdate(task);
  }

  #problem(taskId, error) {
    const entry = this.#tasks.get(taskId);
    if (!entry) return;
    entry.note.hidden = false;
    entry.note.textContent = `${error?.code ?? "error"}: ${error?.message ?? ""}`;
    if (error?.code === "task_not_found") this.#realtime.forget(taskId);
  }

  isFinal(taskId) {
    return FINAL.has(this.#tasks.get(taskId)?.card.dataset.status);
  }
}
