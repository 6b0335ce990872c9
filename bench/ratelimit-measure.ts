/**
 * How the rate-limiter benchmark measures: callers deciding back to back, interleaved rounds of
 * the two contenders, INFO commandstats deltas, latency percentiles, and burst exactness.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Contender } from "./ratelimit-contenders.ts";
import type { Counters } from "./ratelimit-shim.ts";

export const ROUND_MS = 500;
const ROUND_ORDER = [0, 1, 1, 0, 0, 1, 1, 0] as const;
export const WARMUP_MS = 300;

// ---- measurement ------------------------------------------------------------------------------

interface CommandStats {
  readonly calls: Map<string, number>;
  /** Microseconds Redis spent in EVAL/EVALSHA, which includes the commands the scripts ran. */
  readonly scriptUsec: number;
}

export async function commandStats(inspector: Redis): Promise<CommandStats> {
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

export interface RunResult {
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
export async function compare(
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
export async function burst(contender: Contender): Promise<number> {
  const subject = `burst-${randomUUID()}`;
  const results = await Promise.all(Array.from({ length: 200 }, () => contender.decide(subject)));
  return results.filter(Boolean).length;
}
