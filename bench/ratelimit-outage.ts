/**
 * Both limiters while Redis is out: paused (SIGSTOP: connections stay open and nothing answers,
 * like a hung database) and stopped (the proxy answers an error at once). `concurrency` callers
 * decide back to back for a window; a decision that throws is counted as an error (the peer
 * throws on connection errors), and Ferry's own counters say how often it fell back, how often
 * its breaker decided without trying Redis, and how many requests reached the proxy.
 */
import type { UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import type { Contender } from "./ratelimit-contenders.ts";

export interface OutageResult {
  readonly decisions: number;
  readonly admitted: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** REST requests that reached the proxy during the window. */
  readonly redisRequests: number;
  readonly fallbacks?: number;
  readonly breakerSkips?: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export async function duringOutage(
  contender: Contender,
  proxy: UpstashProxy,
  concurrency: number,
  ms: number,
): Promise<OutageResult> {
  const latencies: number[] = [];
  let admitted = 0;
  let errors = 0;
  const requestsBefore = proxy.stats().requests;
  const fallbacksBefore = contender.limiter?.metrics.fallbacks ?? 0;
  const skipsBefore = contender.limiter?.metrics.breakerSkips ?? 0;
  const until = performance.now() + ms;
  const caller = async (n: number) => {
    let i = n;
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        if (await contender.decide(`outage-${i++ % 500}`)) admitted++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
      // A decision made without I/O resolves as a microtask: yield, as a server does between
      // requests, or these callers would starve the timers (budgets, breaker cooldowns) they measure.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, n) => caller(n)));
  latencies.sort((a, b) => a - b);
  const metrics = contender.limiter?.metrics;
  return {
    decisions: latencies.length,
    admitted,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    redisRequests: proxy.stats().requests - requestsBefore,
    ...(metrics
      ? { fallbacks: metrics.fallbacks - fallbacksBefore, breakerSkips: metrics.breakerSkips - skipsBefore }
      : {}),
  };
}
