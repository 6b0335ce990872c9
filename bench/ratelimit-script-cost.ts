import type { Redis } from "ioredis";
import { withoutUpstashFlags } from "#infra/local/upstash/script-flags.ts";
import { GCRA } from "#shared/ratelimit/script.ts";
import { commandStats } from "./ratelimit-measure.ts";

// ---- script cost inside Redis, without HTTP ----------------------------------------------------

/**
 * Server time per script call, both scripts pipelined straight into Redis over ioredis (no HTTP,
 * no proxy), each over 2,000 keys, in alternating rounds. Both are loaded as the proxy runs them
 * (Upstash's key-locking flag dropped). The argument layouts are each library's own (Ferry: now,
 * clock slack, then name, interval µs, capacity, cost, enforced; @upstash/ratelimit tokenBucket:
 * maxTokens, interval ms, refillRate, now, incrementBy).
 */
export async function scriptCostInRedis(inspector: Redis, peerSource: string): Promise<[number, number]> {
  const ferrySha = String(await inspector.script("LOAD", withoutUpstashFlags(GCRA.source)));
  const peerSha = String(await inspector.script("LOAD", withoutUpstashFlags(peerSource)));
  const calls = 20_000;
  const usec = [0, 0];
  for (let round = 0; round < 6; round++) {
    const which = round % 2;
    const now = Date.now();
    const before = await commandStats(inspector);
    const pipeline = inspector.pipeline();
    for (let i = 0; i < calls; i++) {
      const t = String(now + i);
      if (which === 0)
        pipeline.evalsha(
          ferrySha,
          1,
          `bench:direct:ferry:{u${i % 2000}}:api`,
          t,
          "1000",
          "api",
          "100000",
          "50",
          "1",
          "1",
        );
      else pipeline.evalsha(peerSha, 1, `bench:direct:peer:u${i % 2000}`, "50", "1000", "10", t, "1");
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    usec[which] = (usec[which] ?? 0) + (await commandStats(inspector)).scriptUsec - before.scriptUsec;
  }
  return [(usec[0] ?? 0) / (3 * calls), (usec[1] ?? 0) / (3 * calls)];
}
