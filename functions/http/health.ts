/** GET /health: no auth; 200 with `ok`, or `degraded` when a dependency is unreachable. */
import { checkRedis, summarize } from "#shared/health/checks.ts";
import { httpHandler } from "#shared/http/handler.ts";

export const handler = httpHandler({
  handle: async ({ ferry }) => {
    const report = summarize({ redis: await checkRedis(ferry.redis) });
    return { status: 200, body: report, headers: { "cache-control": "no-store" } };
  },
});
