/** GET /health: no auth; 200 with `ok`, or `degraded` when a dependency is unreachable. */
import { core } from "#shared/app/core.ts";
import { checkRedis, checkReputation, checkSesCircuit, summarize } from "#shared/health/checks.ts";
import { httpHandler } from "#shared/http/handler.ts";

export const handler = httpHandler(core.functions.health, {
  handle: async ({ ferry, config }) => {
    const now = Date.now();
    const [redis, sesCircuit, reputation] = await Promise.all([
      checkRedis(ferry.redis),
      checkSesCircuit(ferry.redis, now),
      checkReputation(
        ferry.redis,
        {
          windowSeconds: config.REPUTATION_WINDOW_SECONDS,
          maxBounceRate: config.REPUTATION_MAX_BOUNCE_RATE,
          maxComplaintRate: config.REPUTATION_MAX_COMPLAINT_RATE,
          minSent: config.REPUTATION_MIN_SENT,
        },
        now,
      ),
    ]);
    const report = summarize({ redis, sesCircuit, reputation });
    return { status: 200, body: report, headers: { "cache-control": "no-store" } };
  },
});
