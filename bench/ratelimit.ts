/**
 * Rate-limiter benchmark: Ferry's GCRA limiter against @upstash/ratelimit's tokenBucket, in one
 * run, through the same local Upstash-REST proxy in front of a private redis-server, with the
 * same @upstash/redis client settings (the limiter's production client: no retries, auto
 * pipelining on) and the same concurrency levels.
 *
 * Measured per limiter and concurrency: decisions/s, p50/p99 latency of one decision, HTTP
 * requests per decision (counted in the client's requester) and Redis commands per decision
 * (INFO commandstats deltas, so commands run inside scripts count, as Upstash bills them), plus
 * admitted counts under a burst (exactness).
 *
 *
 * The pieces: ratelimit-contenders.ts (the two limiters), ratelimit-shim.ts (the shared requester,
 * which lets @upstash/ratelimit's scripts run on open-source Redis), ratelimit-measure.ts and
 * ratelimit-script-cost.ts (how it is measured), ratelimit-report.ts (the BENCHMARKS.md section).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startPrivateRedis } from "#infra/local/redis-server.ts";
import { startUpstashProxy } from "#infra/local/upstash-proxy.ts";
import type { BenchSection } from "./main.ts";
import { type Contender, ferry, ferryTwoPolicies, peer, peerTwoPolicies } from "./ratelimit-contenders.ts";
import { burst, compare } from "./ratelimit-measure.ts";
import {
  burstRow,
  renderRateLimitReport,
  resultRow,
  scriptCostRows,
  summaryLine,
} from "./ratelimit-report.ts";
import { scriptCostInRedis } from "./ratelimit-script-cost.ts";
import { type Counters, instrumentedClient, rewrittenScripts } from "./ratelimit-shim.ts";

const CONCURRENCY = [1, 32] as const;

// ---- the benchmark ------------------------------------------------------------------------------

export async function runRateLimitBench(): Promise<BenchSection> {
  const redis = await startPrivateRedis();
  const token = randomUUID();
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token });
  const inspector = new Redis(redis.url);
  const counters: Counters = { http: 0 };
  const client = instrumentedClient(proxy.url, token, counters);
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await inspector.info("server"))?.[1] ?? "unknown";
    const manySubjects = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const oneSubject = ["hot-user"];
    const rows: string[] = [];
    const summary: string[] = [];
    const workloads = [
      { name: "2,000 subjects (mostly admitted)", subjects: manySubjects, kind: "one", levels: CONCURRENCY },
      { name: "1 hot subject (mostly denied)", subjects: oneSubject, kind: "one", levels: CONCURRENCY },
      { name: "2 policies per request, 2,000 subjects", subjects: manySubjects, kind: "two", levels: [32] },
      { name: "1 hot subject, in-memory caches on", subjects: oneSubject, kind: "cached", levels: [32] },
    ] as const;
    for (const workload of workloads) {
      for (const concurrency of workload.levels) {
        const tag = randomUUID().slice(0, 8);
        const pair: [Contender, Contender] =
          workload.kind === "two"
            ? [
                ferryTwoPolicies(client, `bench:ferry2:${tag}:`),
                peerTwoPolicies(client, `bench:peer2:${tag}:`),
              ]
            : [
                ferry(client, `bench:ferry:${tag}:`, workload.kind === "cached"),
                peer(client, `bench:peer:${tag}`, workload.kind === "cached"),
              ];
        const results = await compare(pair, concurrency, workload.subjects, counters, inspector);
        const [ours, theirs] = results;
        summary.push(summaryLine(workload.name, concurrency, ours, theirs));
        for (const [i, r] of results.entries()) {
          rows.push(resultRow(workload.name, pair[i]?.name, concurrency, r));
          console.error(rows.at(-1));
        }
      }
    }

    const tag = randomUUID().slice(0, 8);
    const burstRows: string[] = [];
    for (const contender of [
      ferry(client, `bench:ferry-burst:${tag}:`),
      peer(client, `bench:peer-burst:${tag}`),
    ]) {
      const admitted = [];
      for (let i = 0; i < 5; i++) admitted.push(await burst(contender));
      burstRows.push(burstRow(contender.name, admitted));
    }

    // The peer's tokenBucket script as Redis loaded it (the shim saw it go by).
    const peerSha = [...rewrittenScripts.entries()].find(([, source]) => source.includes("refilledAt"))?.[0];
    const direct = peerSha ? await scriptCostInRedis(inspector, peerSha) : undefined;
    const directTable = scriptCostRows(direct);

    const markdown = renderRateLimitReport({ redisVersion, summary, rows, burstRows, directTable });
    return { title: "Rate limiter", markdown };
  } finally {
    await inspector.quit();
    await proxy.close();
    await redis.stop();
  }
}
