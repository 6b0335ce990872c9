// Local test tools: signed test webhooks per provider (POST /local/webhooks/{provider}) and SES
// fault switches (/local/faults). The runtime signs the deliveries with its own secrets, so what
// arrives at /v1/webhooks/… is exactly what a provider would send.

import { describeError } from "./api.js";
import { busy, byId, fill, h } from "./dom.js";

const PROVIDERS = [
  ["stripe", "Stripe"],
  ["razorpay", "Razorpay"],
  ["payu", "PayU"],
];
const SCENARIOS = [
  ["succeeded", "Payment succeeded"],
  ["duplicate-burst", "Duplicate burst"],
  ["out-of-order", "Out of order"],
];

export function setUpWebhookButtons({ api, onFired }) {
  const root = byId("webhook-buttons");
  const result = byId("webhook-result");
  for (const [provider, label] of PROVIDERS) {
    const buttons = SCENARIOS.map(([scenario, text]) => {
      const button = h(
        "button",
        {
          type: "button",
          class: "small",
          dataset: { provider, scenario },
          "aria-label": `${label}: ${text}`,
        },
        text,
      );
      button.addEventListener("click", () =>
        busy(button, async () => {
          result.textContent = `${label}: sending…`;
          try {
            const answer = await api.post(`/local/webhooks/${provider}`, { scenario });
            // Five identical deliveries read better as one line with "× 5".
            const counted = new Map();
            for (const d of answer.deliveries ?? []) {
              const line = `${d.event} → ${d.status}`;
              counted.set(line, (counted.get(line) ?? 0) + 1);
            }
            const statuses = [...counted].map(([line, n]) => (n > 1 ? `${line} × ${n}` : line)).join(", ");
            result.textContent = `${label} ${answer.paymentId}: ${answer.deliveries?.length ?? 0} deliveries (${statuses}).`;
            onFired?.(answer);
          } catch (error) {
            result.textContent = `${label}: ${describeError(error)}`;
          }
        }),
      );
      return button;
    });
    root.append(
      h("div", { class: "provider" }, h("h4", {}, label), h("div", { class: "button-row" }, buttons)),
    );
  }
}

export function setUpFaults({ api, onChange }) {
  const form = byId("fault-form");
  const count = byId("fault-count");
  const error = byId("fault-error");
  const list = byId("faults");

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
    if (message) count.setAttribute("aria-invalid", "true");
    else count.removeAttribute("aria-invalid");
  };

  async function refresh() {
    try {
      const { faults } = await api.get("/local/faults");
      const ses = faults ?? [];
      fill(
        list,
        ses.length === 0
          ? h("li", { class: "muted" }, "None: SES answers normally.")
          : ses.map((f) => {
              const remove = h(
                "button",
                { type: "button", class: "small", "aria-label": `Remove ${f.kind} fault on ${f.service}` },
                "Remove",
              );
              remove.addEventListener("click", () =>
                busy(remove, async () => {
                  try {
                    await api.delete(`/local/faults/${encodeURIComponent(f.id)}`);
                  } catch (e) {
                    showError(describeError(e));
                  }
                  await refresh();
                }),
              );
              return h(
                "li",
                { class: "fault", dataset: { kind: f.kind, service: f.service } },
                h("strong", {}, `${f.service.toUpperCase()} ${f.kind}`),
                ` ${f.action ? `on ${f.action}, ` : ""}${f.remaining === null || f.remaining === undefined ? "until cleared" : `${f.remaining} left`} `,
                remove,
              );
            }),
      );
    } catch (e) {
      fill(list, h("li", { class: "field-error" }, describeError(e)));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter;
    const kind = button?.value;
    if (!kind) return;
    void busy(button, async () => {
      showError("");
      const n = Number(count.value);
      if (!Number.isInteger(n) || n < 1) {
        showError("Enter a whole number of sends, 1 or more.");
        count.focus();
        return;
      }
      try {
        await api.post("/local/faults", { service: "ses", kind, count: n });
      } catch (e) {
        showError(describeError(e));
      }
      await refresh();
      onChange?.();
    });
  });
  byId("faults-clear").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      showError("");
      try {
        await api.delete("/local/faults");
      } catch (e) {
        showError(describeError(e));
      }
      await refresh();
      onChange?.();
    }),
  );
  return { refresh };
}
