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
 * @upstash/ratelimit's scripts start with `#!lua flags=allow-key-locking`, an Upstash-only flag
 * open-source Redis rejects. The local proxy does not rewrite it, so this file does, in the
 * requester both limiters share: the shebang line is dropped from EVAL and the library's EVALSHA
 * hash is mapped to the hash of the script Redis actually loaded. Ferry's script has no shebang,
 * so the shim never touches it; both pay the same wrapper cost.
 */
import { createHash, randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis as UpstashRedis } from "@upstash/redis";
import { Redis } from "ioredis";
import { startPrivateRedis } from "#infra/local/redis-server.ts";
import { startUpstashProxy } from "#infra/local/upstash-proxy.ts";
import { type LimitRequest, RateLimiter } from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";
import { GCRA } from "#shared/ratelimit/script.ts";
import type { BenchSection } from "./main.ts";

const ROUND_MS = 500;
const ROUND_ORDER = [0, 1, 1, 0, 0, 1, 1, 0] as const;
const WARMUP_MS = 300;
const CONCURRENCY = [1, 32] as const;
const CAPACITY = 50;
const REFILL_PER_SECOND = 10;

type Decide = (subject: string) => Promise<boolean>;

interface Contender {
  readonly name: string;
  readonly decide: Decide;
}

interface Counters {
  http: number;
}

// ---- the requester shim: counts HTTP requests, rewrites the Upstash-only shebang -------------

const SHEBANG = /^#!lua[^\n]*\n/;
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** Scripts the shim rewrote, by the hash Redis knows them by (for the direct script measurement). */
const rewrittenScripts = new Map<string, string>();

function rewriteCommand(command: unknown, shaMap: Map<string, string>): unknown {
  if (!Array.isArray(command) || typeof command[0] !== "string") return command;
  const name = command[0].toLowerCase();
  if (name === "eval" && typeof command[1] === "string" && SHEBANG.test(command[1])) {
    const stripped = command[1].replace(SHEBANG, "");
    shaMap.set(sha1(command[1]), sha1(stripped));
    rewrittenScripts.set(sha1(stripped), stripped);
    return [command[0], stripped, ...command.slice(2)];
  }
  if (name === "evalsha" && typeof command[1] === "string" && shaMap.has(command[1])) {
    return [command[0], shaMap.get(command[1]), ...command.slice(2)];
  }
  return command;
}

interface HttpRequester {
  request(req: { path?: string[]; body?: unknown }): Promise<unknown>;
}

/** The production rate-limit client, with the shim patched into its HTTP requester. */
function instrumentedClient(url: string, token: string, counters: Counters): UpstashRedis {
  const redis = createRateLimitRedis({ url, token, budgetMs: 10_000 });
  const http = (redis as unknown as { client: HttpRequester }).client;
  const send = http.request.bind(http);
  const shaMap = new Map<string, string>();
  http.request = (req) => {
    counters.http++;
    const body =
      req.path?.[0] === "pipeline" || req.path?.[0] === "multi-exec"
        ? (req.body as unknown[]).map((c) => rewriteCommand(c, shaMap))
        : rewriteCommand(req.body, shaMap);
    return send({ ...req, body });
  };
  return redis;
}

// ---- measurement ------------------------------------------------------------------------------

interface CommandStats {
  readonly calls: Map<string, number>;
  /** Microseconds Redis spent in EVAL/EVALSHA, which includes the commands the scripts ran. */
  readonly scriptUsec: number;
}

async function commandStats(inspector: Redis): Promise<CommandStats> {
  const info = await inspector.info("commandstats");
  const calls = new Map<string, number>();
  let scriptUsec = 0;
  for (const line of info.split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (!match?.[1] || !match[2] || !match[3] || match[1] === "info") continue;
    calls.set(match[1], Number(match[2]));
    if (match[1] === "eval" || match[1] === "evalsha") scriptUsec += Number(match[3]);
  }
  return { calls, scriptUsec };
}

function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0) out.set(name, d);
  }
  return out;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);

interface Sample {
  readonly latencies: number[];
  decisions: number;
  admitted: number;
  elapsedMs: number;
  http: number;
  commands: Map<string, number>;
  scriptUsec: number;
}

/** `concurrency` callers, each deciding back to back for `ms`, over `subjects` round robin. */
async function sample(
  contender: Contender,
  concurrency: number,
  subjects: readonly string[],
  ms: number,
  counters: Counters,
  inspector: Redis,
): Promise<Sample> {
  const out: Sample = {
    latencies: [],
    decisions: 0,
    admitted: 0,
    elapsedMs: 0,
    http: 0,
    commands: new Map(),
    scriptUsec: 0,
  };
  const httpBefore = counters.http;
  const before = await commandStats(inspector);
  const started = performance.now();
  const until = started + ms;
  const caller = async () => {
    let i = Math.floor(Math.random() * subjects.length);
    while (performance.now() < until) {
      const subject = subjects[i++ % subjects.length] as string;
      const t0 = performance.now();
      const ok = await contender.decide(subject);
      out.latencies.push(performance.now() - t0);
      out.decisions++;
      if (ok) out.admitted++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  out.elapsedMs = performance.now() - started;
  out.http = counters.http - httpBefore;
  const after = await commandStats(inspector);
  out.commands = delta(before.calls, after.calls);
  out.scriptUsec = after.scriptUsec - before.scriptUsec;
  return out;
}

interface RunResult {
  readonly decisions: number;
  readonly admitted: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly httpPerDecision: number;
  readonly commandsPerDecision: number;
  readonly redisUsecPerDecision: number;
  readonly commands: Map<string, number>;
}

function merge(samples: readonly Sample[]): RunResult {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const decisions = samples.reduce((n, s) => n + s.decisions, 0);
  const commands = new Map<string, number>();
  for (const s of samples)
    for (const [name, n] of s.commands) commands.set(name, (commands.get(name) ?? 0) + n);
  const total = [...commands.values()].reduce((a, b) => a + b, 0);
  return {
    decisions,
    admitted: samples.reduce((n, s) => n + s.admitted, 0),
    perSecond: (decisions / samples.reduce((n, s) => n + s.elapsedMs, 0)) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    httpPerDecision: samples.reduce((n, s) => n + s.http, 0) / decisions,
    commandsPerDecision: total / decisions,
    redisUsecPerDecision: samples.reduce((n, s) => n + s.scriptUsec, 0) / decisions,
    commands,
  };
}

/**
 * Both contenders in interleaved rounds (A B B A A B B A), after a warm-up of each, so drift on
 * a shared machine (JIT, other processes) falls on both alike rather than on whoever runs first.
 */
async function compare(
  pair: readonly [Contender, Contender],
  concurrency: number,
  subjects: readonly string[],
  counters: Counters,
  inspector: Redis,
): Promise<[RunResult, RunResult]> {
  for (const c of pair) await sample(c, concurrency, subjects, WARMUP_MS, counters, inspector);
  const samples: [Sample[], Sample[]] = [[], []];
  for (const index of ROUND_ORDER) {
    samples[index].push(await sample(pair[index], concurrency, subjects, ROUND_MS, counters, inspector));
  }
  return [merge(samples[0]), merge(samples[1])];
}

/** 200 parallel requests on a fresh subject of capacity 50: how many were admitted. */
async function burst(contender: Contender): Promise<number> {
  const subject = `burst-${randomUUID()}`;
  const results = await Promise.all(Array.from({ length: 200 }, () => contender.decide(subject)));
  return results.filter(Boolean).length;
}

// ---- contenders -------------------------------------------------------------------------------

function ferry(redis: UpstashRedis, prefix: string, cache = false): Contender {
  const policy: RateLimitPolicy = {
    name: "api",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "open",
  };
  const limiter = new RateLimiter({
    redis,
    keyPrefix: prefix,
    ...(cache ? {} : { deniedCache: false as const }),
    budgetMs: 10_000,
    logger: { warn: (message: string) => console.error(`ferry limiter fell back: ${message}`) },
  });
  return {
    name: cache ? "Ferry GCRA + denied cache" : "Ferry GCRA",
    decide: async (subject) => (await limiter.limit([{ policy, subject }])).allowed,
  };
}

function ferryTwoPolicies(redis: UpstashRedis, prefix: string): Contender {
  const api: RateLimitPolicy = {
    name: "api",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "open",
  };
  const emails: RateLimitPolicy = {
    name: "emails",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "closed",
  };
  const limiter = new RateLimiter({ redis, keyPrefix: prefix, deniedCache: false, budgetMs: 10_000 });
  return {
    name: "Ferry GCRA, api + emails in one decision",
    decide: async (subject) => {
      const requests: LimitRequest[] = [
        { policy: api, subject },
        { policy: emails, subject, cost: 2 },
      ];
      return (await limiter.limit(requests)).allowed;
    },
  };
}

function peer(redis: UpstashRedis, prefix: string, cache = false): Contender {
  const limiter = new Ratelimit({
    redis,
    limiter: Ratelimit.tokenBucket(REFILL_PER_SECOND, "1 s", CAPACITY),
    prefix,
    // Its default is an ephemeral cache of blocked identifiers; off unless the row compares caches.
    ephemeralCache: cache ? new Map() : false,
    analytics: false,
  });
  return {
    name: cache ? "@upstash/ratelimit tokenBucket + ephemeral cache" : "@upstash/ratelimit tokenBucket",
    decide: async (subject) => (await limiter.limit(subject)).success,
  };
}

function peerTwoPolicies(redis: UpstashRedis, prefix: string): Contender {
  const make = (p: string) =>
    new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(REFILL_PER_SECOND, "1 s", CAPACITY),
      prefix: `${prefix}${p}`,
      ephemeralCache: false,
      analytics: false,
    });
  const api = make("api");
  const emails = make("emails");
  return {
    // Not atomic: one limit may consume while the other denies.
    name: "@upstash/ratelimit, api + emails as two calls",
    decide: async (subject) => {
      const [a, e] = await Promise.all([api.limit(subject), emails.limit(subject, { rate: 2 })]);
      return a.success && e.success;
    },
  };
}

// ---- script cost inside Redis, without HTTP ----------------------------------------------------

/**
 * Server time per script call, both scripts pipelined straight into Redis over ioredis (no HTTP,
 * no proxy), each over 2,000 keys, in alternating rounds. The argument layouts are each
 * library's own (Ferry: now, clock slack, interval µs, capacity, cost; @upstash/ratelimit
 * tokenBucket: maxTokens, interval ms, refillRate, now, incrementBy).
 */
async function scriptCostInRedis(inspector: Redis, peerSha: string): Promise<[number, number]> {
  await inspector.script("LOAD", GCRA.plain.source);
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
          GCRA.plain.sha,
          1,
          `bench:direct:ferry:{u${i % 2000}}:api`,
          t,
          "1000",
          "100000",
          "50",
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

// ---- the benchmark ------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const breakdown = (commands: Map<string, number>, decisions: number) =>
  [...commands.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${fmt(n / decisions, 2)}`)
    .join(", ");

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
    const head =
      "| workload | limiter | concurrency | decisions/s | p50 ms | p99 ms | admitted | HTTP req/decision | Redis cmds/decision | Redis µs/decision | commands per decision |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|";

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
        summary.push(
          `- ${workload.name}, concurrency ${concurrency}: Ferry ${fmt(ours.perSecond)} vs ${fmt(theirs.perSecond)} decisions/s (×${fmt(ours.perSecond / theirs.perSecond, 2)}), ${fmt(ours.commandsPerDecision, 2)} vs ${fmt(theirs.commandsPerDecision, 2)} Redis commands per decision.`,
        );
        for (const [i, r] of results.entries()) {
          rows.push(
            `| ${workload.name} | ${pair[i]?.name} | ${concurrency} | ${fmt(r.perSecond)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt((100 * r.admitted) / r.decisions, 1)} % | ${fmt(r.httpPerDecision, 2)} | ${fmt(r.commandsPerDecision, 2)} | ${fmt(r.redisUsecPerDecision, 1)} | ${breakdown(r.commands, r.decisions)} |`,
          );
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
      burstRows.push(`| ${contender.name} | ${admitted.join(", ")} |`);
    }

    // The peer's tokenBucket script as Redis loaded it (the shim saw it go by).
    const peerSha = [...rewrittenScripts.entries()].find(([, source]) => source.includes("refilledAt"))?.[0];
    const direct = peerSha ? await scriptCostInRedis(inspector, peerSha) : undefined;
    const directTable = direct
      ? `| Ferry GCRA | ${fmt(direct[0], 2)} |\n| @upstash/ratelimit tokenBucket | ${fmt(direct[1], 2)} |`
      : "| (the peer's script was not seen) | — |";

    const markdown = `## Rate limiter: Ferry GCRA vs @upstash/ratelimit tokenBucket

Both limiters: capacity ${CAPACITY}, ${REFILL_PER_SECOND} units/s, no in-memory cache except in the last workload
(Ferry's denied cache and the peer's ephemeral cache are off, so every decision reaches Redis), the same @upstash/redis client (no retries, auto
pipelining on) through the same local Upstash-REST proxy (infra/local/upstash-proxy.ts) to the same private
redis-server ${redisVersion}. \`concurrency\` callers decide back to back. The two limiters of a workload run in
interleaved rounds (A B B A A B B A, ${ROUND_MS} ms each, after a ${WARMUP_MS} ms warm-up of each), so drift on the shared machine
falls on both alike; each row sums its four rounds.

${summary.join("\n")}

${head}
${rows.join("\n")}

**Burst exactness**: 200 parallel requests on a fresh subject of capacity ${CAPACITY}, five times each (ideal: 50).

| limiter | admitted |
|---|---|
${burstRows.join("\n")}

**Script cost inside Redis**: server µs per call of each library's script, pipelined straight into redis-server over
ioredis (no HTTP, no proxy), 3 × 20,000 calls over 2,000 keys, admitting.

| limiter | Redis µs per call |
|---|---:|
${directTable}

Method notes:
- One decision costs ~40 µs of client, HTTP and in-process proxy work and only ~3-15 µs in Redis, so with one policy
  per request the two limiters are bound by the same HTTP path: across repeated runs on this machine those rows
  moved between ×0.95 and ×1.15 in either's favour. Ferry's measurable gains are in Redis work (fewer commands, a
  cheaper script), in multi-policy requests (one script instead of two calls) and in its denied cache.
- *HTTP req/decision* counts requests in the client's requester; below 1 means auto pipelining batched concurrent
  decisions into one \`/pipeline\` request. *Redis cmds/decision* is the delta of \`INFO commandstats\` calls (EVALSHA and
  the commands the script runs, which is what Upstash bills), divided by decisions. *Redis µs/decision* is the
  server time spent in EVALSHA/EVAL (script execution including its commands), from the same statistics.
- "In-memory caches on" uses Ferry's denied cache and the peer's ephemeral cache (its default): a denied subject is
  answered without Redis until its retry-after (Ferry) or the bucket's next refill (peer).
- "Mostly denied" shows the denial path: Ferry's script reads one key (MGET) and writes nothing; the peer's reads a hash.
- "2 policies per request" is \`POST /v1/emails\` (api + emails, cost 2): Ferry decides both atomically in one script;
  the peer needs two \`limit\` calls, which are not atomic (one may consume while the other denies).
- @upstash/ratelimit's \`#!lua flags=allow-key-locking\` shebang is stripped by a shim in the shared requester (see
  bench/ratelimit.ts); latency here is dominated by the local proxy, not by the network to Upstash.
`;
    return { title: "Rate limiter", markdown };
  } finally {
    await inspector.quit();
    await proxy.close();
    await redis.stop();
  }
}
