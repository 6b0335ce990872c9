// GET /v1/payments: each payment with its event history and its receipt email's task (read
// through the payment's own `href`, since a receipt task belongs to no API key).

import { describeError } from "./api.js";
import { badge, byId, facts, fill, h, timeEl } from "./dom.js";

function money(minor, currency) {
  if (typeof minor !== "number") return "";
  try {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits;
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency ?? ""} (minor units)`;
  }
}

async function receiptLine(api, receipt) {
  if (!receipt) return h("span", { class: "muted" }, "none (yet)");
  let status;
  try {
    const task = receipt.href ? await api.get(receipt.href) : undefined;
    status = task?.status;
  } catch (error) {
    status = undefined;
    return h(
      "span",
      { class: "receipt", dataset: { taskId: receipt.taskId } },
      h("span", { class: "mono" }, receipt.taskId),
      ` (${describeError(error)})`,
    );
  }
  return h(
    "span",
    { class: "receipt", dataset: { taskId: receipt.taskId } },
    h("span", { class: "mono" }, receipt.taskId),
    " ",
    status ? badge(status) : "",
  );
}

export function createPaymentsPanel({ api }) {
  const root = byId("payments");
  async function refresh() {
    let page;
    try {
      page = await api.get("/v1/payments?limit=20");
    } catch (error) {
      fill(root, h("p", { class: "field-error" }, describeError(error)));
      return;
    }
    const items = page?.items ?? [];
    if (items.length === 0) {
      fill(
        root,
        h(
          "p",
          { class: "muted" },
          "No payments yet. Fire a test webhook below, or point a provider at /v1/webhooks/…",
        ),
      );
      return;
    }
    const receipts = await Promise.all(items.map((p) => receiptLine(api, p.receipt)));
    fill(
      root,
      h(
        "ul",
        { class: "plain", id: "payment-list" },
        items.map((p, i) =>
          h(
            "li",
            { class: "payment", dataset: { provider: p.provider, paymentId: p.paymentId } },
            h("h3", {}, h("span", { class: "mono" }, p.paymentId), " ", badge(p.status)),
            facts([
              ["Provider", p.provider],
              ["Amount", money(p.amount, p.currency)],
              ["Email", p.email],
              ["Receipt", receipts[i]],
              [
                "Refund notice",
                p.refundNotice ? h("span", { class: "mono" }, p.refundNotice.taskId) : undefined,
              ],
            ]),
            h(
              "details",
              {},
              h("summary", {}, `Event history (${p.events?.length ?? 0})`),
              h(
                "ol",
                { class: "events" },
                (p.events ?? []).map((e) =>
                  h(
                    "li",
                    {},
                    timeEl(e.at),
                    " ",
                    h("span", { class: "mono" }, e.type),
                    h("span", { class: "muted" }, ` ${e.id}`),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
  byId("payments-refresh").addEventListener("click", () => void refresh());
  return { refresh };
}
