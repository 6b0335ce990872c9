/** The rate-limiter benchmark's BENCHMARKS.md section: its table rows and the text around them. */
import { CAPACITY, REFILL_PER_SECOND } from "./ratelimit-contenders.ts";
import { ROUND_MS, type RunResult, WARMUP_MS } from "./ratelimit-measure.ts";
import type { OutageResult } from "./ratelimit-outage.ts";
import type { RouteRoundTrips } from "./ratelimit-routes.ts";

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const breakdown = (commands: Map<string, number>, decisions: number) =>
  [...commands.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${fmt(n / decisions, 2)}`)
    .join(", ");

export const RESULTS_HEAD =
  "| workload | limiter | concurrency | decisions/s | p50 ms | p99 ms | admitted | HTTP req/decision | Redis cmds/decision | Redis µs/decision | commands per decision |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|";

/** One summary bullet: Ferry against the peer on one workload and concurrency. */
export const summaryLine = (
  workload: string,
  concurrency: number,
  ours: RunResult,
  theirs: RunResult,
  fallbacks: number,
) =>
  `- ${workload}, concurrency ${concurrency}: Ferry ${fmt(ours.perSecond)} vs ${fmt(theirs.perSecond)} decisions/s (×${fmt(ours.perSecond / theirs.perSecond, 2)}), p99 ${fmt(ours.p99Ms, 1)} vs ${fmt(theirs.p99Ms, 1)} ms, ${fmt(ours.commandsPerDecision, 2)} vs ${fmt(theirs.commandsPerDecision, 2)} Redis commands per decision; Ferry fell back ${fallbacks} times.`;

/** One row of the results table. */
export const resultRow = (workload: string, limiter: string | undefined, concurrency: number, r: RunResult) =>
  `| ${workload} | ${limiter} | ${concurrency} | ${fmt(r.perSecond)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt((100 * r.admitted) / r.decisions, 1)} % | ${fmt(r.httpPerDecision, 2)} | ${fmt(r.commandsPerDecision, 2)} | ${fmt(r.redisUsecPerDecision, 1)} | ${breakdown(r.commands, r.decisions)} |`;

export const burstRow = (limiter: string, latencyMs: number, admitted: readonly number[]) =>
  `| ${limiter} | ${latencyMs} | ${admitted.join(", ")} |`;

export const routeRow = (r: RouteRoundTrips) => `| ${r.route} | ${r.status} | ${fmt(r.roundTrips, 2)} |`;

export const outageRow = (fault: string, limiter: string, r: OutageResult) =>
  `| ${fault} | ${limiter} | ${r.decisions} | ${fmt((100 * r.admitted) / Math.max(1, r.decisions), 1)} % | ${r.errors} | ${r.fallbacks ?? "—"} | ${r.breakerSkips ?? "—"} | ${r.redisRequests} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.maxMs, 0)} |`;

/** Rows of the script-cost table; `direct` is undefined when the peer's script was not seen. */
export const scriptCostRows = (direct: readonly [number, number] | undefined) =>
  direct
    ? `| Ferry GCRA | ${fmt(direct[0], 2)} |\n| @upstash/ratelimit tokenBucket | ${fmt(direct[1], 2)} |`
    : "| (the peer's script was not seen) | — |";

export interface RateLimitReport {
  readonly redisVersion: string;
  readonly summary: readonly string[];
  readonly rows: readonly string[];
  readonly burstRows: readonly string[];
  readonly routeRows: readonly string[];
  readonly outageRows: readonly string[];
  readonly directTable: string;
}

export function renderRateLimitReport({
  redisVersion,
  summary,
  rows,
  burstRows,
  routeRows,
  outageRows,
  directTable,
}: RateLimitReport): string {
  const head = RESULTS_HEAD;
  return `## Rate limiter: Ferry GCRA vs @upstash/ratelimit tokenBucket

Both limiters: capacity ${CAPACITY}, ${REFILL_PER_SECOND} units/s, each at its production defaults (Ferry: 1000 ms budget and
its breaker; the peer: its 5 s timeout), no in-memory cache except in the "caches on" workload (Ferry's denied cache
and the peer's ephemeral cache are off, so every decision reaches Redis), each on its client set up alike (Ferry's
own Upstash client, @upstash/redis for the peer: no retries, auto pipelining on) through the same local Upstash-REST proxy (infra/local/upstash/upstash-proxy.ts) to the same
private redis-server ${redisVersion}. \`concurrency\` callers decide back to back. The two limiters of a workload run in
interleaved rounds (A B B A A B B A, ${ROUND_MS} ms each, after a ${WARMUP_MS} ms warm-up of each), so drift on the shared machine
falls on both alike; each row sums its four rounds. "Redis N ms away" injects N ms of round-trip latency per REST
request at the proxy (\`latencyMs\`, the FERRY_LOCAL_LATENCY_MS knob).

${summary.join("\n")}

${head}
${rows.join("\n")}

**Burst exactness**: 200 parallel requests on a fresh subject of capacity ${CAPACITY}, five times each (ideal: 50), with
Redis next door and 80 ms away. Ferry never admits more, and never refuses more, than the bucket allows.

| limiter | latency ms | admitted |
|---|---:|---|
${burstRows.join("\n")}

**Redis round trips per HTTP request**, per route, counted at the Upstash proxy the handlers use (the local runtime,
requests one at a time, after one warm-up request each; queue workers replaced by a no-op so their traffic is not
counted). The API-key lookup and the rate-limit decision are one script, so an authenticated route pays one round
trip before its handler's own. On POST /v1/emails that script also reads the suppression entries of the body's
recipients, so the route makes 2 (the script and the task record); before, the suppression lookup was a third.

| route | status | Redis round trips |
|---|---:|---:|
${routeRows.join("\n")}

**During a Redis outage**: 8 callers for 2 s while redis-server is paused (SIGSTOP: connections open, nothing
answers) and for 1 s after it is stopped (the proxy answers errors at once), 500 subjects. *Errors* are decisions
that threw; Ferry's *fallbacks* are decisions made without Redis as the policy declares (here: open), *breaker
skips* those made at once because the breaker was open (Redis not tried); *Redis requests* reached the proxy.

| fault | limiter | decisions | admitted | errors | fallbacks | breaker skips | Redis requests | p50 ms | p99 ms | max ms |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${outageRows.join("\n")}

**Script cost inside Redis**: server µs per call of each library's script, pipelined straight into redis-server over
ioredis (no HTTP, no proxy), 3 × 20,000 calls over 2,000 keys, admitting.

| limiter | Redis µs per call |
|---|---:|
${directTable}

Method notes:
- One decision costs ~40 µs of client, HTTP and in-process proxy work and only ~3-15 µs in Redis, so with one policy
  per request and Redis next door the two limiters are bound by the same HTTP path: across repeated runs on this
  machine those rows moved between ×0.95 and ×1.15 in either's favour. With Redis some distance away both are bound
  by the round trip, which auto pipelining shares among concurrent callers.
- *HTTP req/decision* counts requests in the client's requester; below 1 means auto pipelining batched concurrent
  decisions into one \`/pipeline\` request. *Redis cmds/decision* is the delta of \`INFO commandstats\` calls (EVALSHA and
  the commands the script runs, which is what Upstash bills), divided by decisions. *Redis µs/decision* is the
  server time spent in EVALSHA/EVAL (script execution including its commands), from the same statistics.
- "In-memory caches on" uses Ferry's denied cache and the peer's ephemeral cache (its default): a denied subject is
  answered without Redis until its retry-after (Ferry) or the bucket's next refill (peer).
- "Mostly denied" shows the denial path: Ferry's script reads one key (MGET) and writes nothing; the peer's reads a hash.
- "2 policies per request" is \`POST /v1/emails\` (api + emails, cost 2): Ferry decides both atomically in one script;
  the peer needs two \`limit\` calls, which are not atomic (one may consume while the other denies).
- Both libraries' scripts carry \`#!lua flags=allow-key-locking\`; the local proxy drops the flag as Upstash reads it
  (infra/local/upstash/script-flags.ts), so both run their production scripts unmodified.
`;
}
