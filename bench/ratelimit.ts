/**
 * Rate-limiter benchmark: Ferry's GCRA limiter against @upstash/ratelimit's tokenBucket, in one
 * run, through the same local Upstash-REST proxy in front of a private redis-server, each on its
 * own client with the same settings (Ferry's production client; @upstash/redis, the peer's, set
 * up alike: no retries, auto-pipelining on) and the same concurrency levels.
 *
 * Measured per limiter and concurrency: decisions/s, p50/p99 latency of one decision, HTTP
 * requests per decision (counted in each client) and Redis commands per decision
 * (INFO commandstats deltas, so commands run inside scripts count, as Upstash bills them), plus
 * admitted counts under a burst (exactness); the same with 20 and 80 ms of round-trip latency
 * injected at the proxy; Redis round trips per HTTP request for every route of the local
 * runtime (counted at the proxy); and both limiters during a Redis outage.
 *
 * The pieces: ratelimit-contenders.ts (the two limiters), ratelimit-shim.ts (the shared counting
 * clients), ratelimit-measure.ts, ratelimit-routes.ts, ratelimit-outage.ts and
 * ratelimit-script-cost.ts (how it is measured), ratelimit-report.ts (the BENCHMARKS.md section).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { startUpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import type { BenchSection } from "./main.ts";
import { type Contender, ferry, ferryTwoPolicies, peer, peerTwoPolicies } from "./ratelimit-contenders.ts";
import { burst, compare } from "./ratelimit-measure.ts";
import { duringOutage, type OutageResult } from "./ratelimit-outage.ts";
import {
  burstRow,
  outageRow,
  renderRateLimitReport,
  resultRow,
  routeRow,
  scriptCostRows,
  summaryLine,
} from "./ratelimit-report.ts";
import { roundTripsPerRoute } from "./ratelimit-routes.ts";
import { scriptCostInRedis } from "./ratelimit-script-cost.ts";
import { type Counters, instrumentedClients, seenScripts } from "./ratelimit-shim.ts";

const CONCURRENCY = [1, 32] as const;
/** Round-trip latencies injected at the proxy for the distant-database rows. */
const LATENCIES_MS = [20, 80] as const;

// ---- the benchmark ------------------------------------------------------------------------------

export async function runRateLimitBench(): Promise<BenchSection> {
  const redis = await startPrivateRedis();
  const token = randomUUID();
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token, latencyMs: 0 });
  const inspector = new Redis(redis.url);
  const counters: Counters = { http: 0 };
  const client = instrumentedClients(proxy.url, token, counters);
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await inspector.info("server"))?.[1] ?? "unknown";
    const manySubjects = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const oneSubject = ["hot-user"];
    const rows: string[] = [];
    const summary: string[] = [];
    const workloads = [
      {
        name: "2,000 subjects (mostly admitted)",
        subjects: manySubjects,
        kind: "one",
        levels: CONCURRENCY,
        latencyMs: 0,
      },
      {
        name: "1 hot subject (mostly denied)",
        subjects: oneSubject,
        kind: "one",
        levels: CONCURRENCY,
        latencyMs: 0,
      },
      {
        name: "2 policies per request, 2,000 subjects",
        subjects: manySubjects,
        kind: "two",
        levels: [32],
        latencyMs: 0,
      },
      {
        name: "1 hot subject, in-memory caches on",
        subjects: oneSubject,
        kind: "cached",
        levels: [32],
        latencyMs: 0,
      },
      ...LATENCIES_MS.map((latencyMs) => ({
        name: `2,000 subjects, Redis ${latencyMs} ms away`,
        subjects: manySubjects,
        kind: "one" as const,
        levels: [32] as const,
        latencyMs,
      })),
    ] as const;
    for (const workload of workloads) {
      proxy.latencyMs = workload.latencyMs;
      for (const concurrency of workload.levels) {
        const tag = randomUUID().slice(0, 8);
        const pair: [Contender, Contender] =
          workload.kind === "two"
            ? [
                ferryTwoPolicies(client.ferry, `bench:ferry2:${tag}:`),
                peerTwoPolicies(client.peer, `bench:peer2:${tag}:`),
              ]
            : [
                ferry(client.ferry, `bench:ferry:${tag}:`, workload.kind === "cached"),
                peer(client.peer, `bench:peer:${tag}`, workload.kind === "cached"),
              ];
        const results = await compare(pair, concurrency, workload.subjects, counters, inspector);
        const [ours, theirs] = results;
        const fallbacks = pair[0].limiter?.metrics.fallbacks ?? 0;
        summary.push(summaryLine(workload.name, concurrency, ours, theirs, fallbacks));
        for (const [i, r] of results.entries()) {
          rows.push(resultRow(workload.name, pair[i]?.name, concurrency, r));
          console.error(rows.at(-1));
        }
      }
    }

    const burstRows: string[] = [];
    for (const latencyMs of [0, 80]) {
      proxy.latencyMs = latencyMs;
      const tag = randomUUID().slice(0, 8);
      for (const contender of [
        ferry(client.ferry, `bench:ferry-burst:${tag}:`),
        peer(client.peer, `bench:peer-burst:${tag}`),
      ]) {
        const admitted = [];
        for (let i = 0; i < 5; i++) admitted.push(await burst(contender));
        burstRows.push(burstRow(contender.name, latencyMs, admitted));
      }
    }
    proxy.latencyMs = 0;

    const routeRows = (await roundTripsPerRoute(redis.url)).map(routeRow);
    console.error(routeRows.join("\n"));

    const outageRows = await outages();

    const peerSource = [...seenScripts].find((source) => source.includes("refilledAt"));
    const direct = peerSource ? await scriptCostInRedis(inspector, peerSource) : undefined;
    const directTable = scriptCostRows(direct);

    const markdown = renderRateLimitReport({
      redisVersion,
      summary,
      rows,
      burstRows,
      routeRows,
      outageRows,
      directTable,
    });
    return { title: "Rate limiter", markdown };
  } finally {
    await inspector.quit();
    await proxy.close();
    await redis.stop();
  }
}

/** Both limiters, at their defaults, on a Redis of their own that is paused, then stopped. */
async function outages(): Promise<string[]> {
  const redis = await startPrivateRedis();
  const token = randomUUID();
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token, latencyMs: 0 });
  const counters: Counters = { http: 0 };
  const client = instrumentedClients(proxy.url, token, counters);
  const contenders = [ferry(client.ferry, "bench:outage:ferry:"), peer(client.peer, "bench:outage:peer")];
  const rows: string[] = [];
  let paused = false;
  try {
    for (const c of contenders) await c.decide("warm");
    process.kill(redis.pid, "SIGSTOP");
    paused = true;
    for (const c of contenders)
      rows.push(outageRow("paused (hung)", c.name, await duringOutage(c, proxy, 8, 2000)));
    process.kill(redis.pid, "SIGCONT");
    paused = false;
    await redis.stop();
    const stopped: [string, OutageResult][] = [];
    for (const c of contenders) stopped.push([c.name, await duringOutage(c, proxy, 8, 1000)]);
    for (const [name, r] of stopped) rows.push(outageRow("stopped", name, r));
    console.error(rows.join("\n"));
    return rows;
  } finally {
    if (paused) process.kill(redis.pid, "SIGCONT");
    await proxy.close();
    await redis.stop();
  }
}
