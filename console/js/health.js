// GET /health: Redis and the SES circuit breaker, as the API reports them.

import { describeError } from "./api.js";
import { badge, byId, facts, fill, h } from "./dom.js";

const CIRCUIT_TONE = { closed: "ok", "half-open": "warn", half_open: "warn", open: "bad" };

export function createHealthPanel({ api }) {
  const root = byId("health");
  async function refresh() {
    try {
      const health = await api.get("/health", { auth: false });
      const checks = health?.checks ?? {};
      const circuit = checks.sesCircuit;
      fill(
        root,
        facts([
          ["Status", badge(health?.status ?? "unknown")],
          [
            "SES circuit",
            circuit
              ? h("span", { id: "ses-circuit" }, badge(circuit.state, CIRCUIT_TONE[circuit.state]))
              : undefined,
          ],
          ...Object.entries(checks)
            .filter(([name]) => name !== "sesCircuit")
            .map(([name, check]) => [
              name,
              h(
                "span",
                {},
                badge(check?.status ?? "?"),
                check?.latencyMs !== undefined ? ` ${check.latencyMs} ms` : "",
                check?.detail ? ` ${check.detail}` : "",
              ),
            ]),
        ]),
        h("details", {}, h("summary", {}, "Raw /health"), h("pre", {}, JSON.stringify(health, null, 2))),
      );
    } catch (error) {
      fill(root, h("p", { class: "field-error" }, describeError(error)));
    }
  }
  byId("health-refresh").addEventListener("click", () => void refresh());
  return { refresh };
}
