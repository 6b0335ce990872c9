/** GET /health: no auth; 200 with `ok`, or `degraded` when a dependency is unreachable. */
import { core } from "#shared/app/core.ts";
import { checkRedis, checkSesCircuit, summarize } from "#shared/health/checks.ts";
import { httpHandler } from "#shared/http/handler.ts";

export const handler = httpHandler(core.functions.health, {
  handle: async ({ ferry }) => {
    const [redis, sesCircuit] = await Promise.all([
      checkRedis(ferry.redis),
      checkSesCircuit(ferry.redis, Date.now()),
    ]);
    const report = summarize({ redis, sesCircuit });
    return { status: 200, body: report, headers: { "cache-control": "no-store" } };
  },
});
