/** The pipeline section of BENCHMARKS.md: figures, their floors or ceilings, targets, method. */
import type { BundleFigure } from "./pipeline-bundles.ts";
import { CEILING_CONSUMERS } from "./pipeline-ceiling.ts";
import type { Latencies } from "./pipeline-harness.ts";
import type {
  AckResult,
  EndToEndResult,
  FanOutResult,
  ManyConnectionsResult,
  RoundTrips,
  ThroughputResult,
} from "./pipeline-measure.ts";

export interface PipelineFigures {
  readonly quick: boolean;
  readonly ingest: readonly { readonly route: ThroughputResult; readonly floor: ThroughputResult }[];
  readonly webhook: AckResult;
  readonly httpRoundTrips: Readonly<Record<string, RoundTrips>>;
  readonly workerRoundTrips: RoundTrips;
  readonly submitOne: Latencies;
  readonly submitMany: FanOutResult;
  readonly endToEnd: EndToEndResult;
  readonly endToEndCeiling: EndToEndResult;
  readonly bundles: readonly (BundleFigure & { readonly secretOnly: boolean })[];
  readonly connections: ManyConnectionsResult;
}

/** The targets of issue #15; each row says whether this run met its own. */
export const TARGETS = {
  submitP50Ms: 60,
  submitP99Ms: 150,
  ingestShareOfFloor: 0.5,
  endToEndShareOfCeiling: 0.5,
  httpRoundTrips: 2,
  workerRoundTrips: 3,
  fanOutP50Ms: 150,
  bundleKB: 350,
  secretOnlyBundleKB: 150,
  initMs: 50,
} as const;

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "—");
const kb = (bytes: number) => (bytes / 1024).toFixed(0);
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
const met = (ok: boolean) => (ok ? "met" : "**missed**");
/** The lowest and highest init CPU median of some bundles, e.g. "25–55". */
const initRange = (bundles: readonly BundleFigure[]) => {
  const cpu = bundles.map((b) => b.initCpuMs ?? Number.NaN).filter(Number.isFinite);
  return cpu.length === 0 ? "—" : `${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}`;
};

export function renderPipelineReport(f: PipelineFigures): string {
  const [c1, c16] = f.ingest;
  const ingestShare = c16 ? c16.route.perSecond / c16.floor.perSecond : Number.NaN;
  const ingestCpuShare = c16 ? c16.floor.cpuMsPerRequest / c16.route.cpuMsPerRequest : Number.NaN;
  const e2eShare = f.endToEnd.perSecond / f.endToEndCeiling.perSecond;
  const e2eCpuShare = f.endToEndCeiling.cpuMsPerEmail / f.endToEnd.cpuMsPerEmail;
  // A throughput ratio is met only if the CPU ratio agrees: under other users' load a floor or
  // ceiling run that happened to be starved can make the wall-clock ratio exceed 100 %.
  const ingestMet = Math.min(ingestShare, ingestCpuShare) >= TARGETS.ingestShareOfFloor;
  const e2eMet = Math.min(e2eShare, e2eCpuShare) >= TARGETS.endToEndShareOfCeiling;
  const postRt = f.httpRoundTrips["POST /v1/emails"];
  const biggest = [...f.bundles].sort((a, b) => b.bytes - a.bytes)[0];
  const bundleMisses = f.bundles.filter(
    (b) => b.bytes / 1024 > (b.secretOnly ? TARGETS.secretOnlyBundleKB : TARGETS.bundleKB),
  );
  const initMisses = f.bundles.filter((b) => (b.initMs ?? Number.POSITIVE_INFINITY) > TARGETS.initMs);

  const summary = [
    `| figure | this run | floor / ceiling (same run) | target | |`,
    `|---|---:|---:|---|---|`,
    `| submit → \`succeeded\` over a WebSocket, 1 subscriber, p50 / p99 | ${ms(f.submitOne.p50)} / ${ms(f.submitOne.p99)} ms | — | ≤ ${TARGETS.submitP50Ms} / ≤ ${TARGETS.submitP99Ms} ms | ${met(f.submitOne.p50 <= TARGETS.submitP50Ms && f.submitOne.p99 <= TARGETS.submitP99Ms)} |`,
    `| enqueue → \`succeeded\` at the last of 200 subscribers, p50 / p99 | ${ms(f.submitMany.toLast.p50)} / ${ms(f.submitMany.toLast.p99)} ms | first of 200: ${ms(f.submitMany.toFirst.p50)} / ${ms(f.submitMany.toFirst.p99)} ms | — | |`,
    `| fan-out of \`succeeded\` to 200 subscribers (transition → last receipt), p50 / p99 | ${ms(f.submitMany.fanOut.p50)} / ${ms(f.submitMany.fanOut.p99)} ms | — | p50 ≤ ${TARGETS.fanOutP50Ms} ms | ${met(f.submitMany.fanOut.p50 <= TARGETS.fanOutP50Ms)} |`,
    ...f.ingest.map(
      ({ route, floor }) =>
        `| POST /v1/emails, concurrency ${route.concurrency}: requests/s (p50 / p99 ms), refused | ${route.perSecond.toFixed(0)} (${ms(route.latency.p50)} / ${ms(route.latency.p99)}), ${route.refused} refused | ${floor.perSecond.toFixed(0)} (${ms(floor.latency.p50)} / ${ms(floor.latency.p99)}) = ${pct(route.perSecond / floor.perSecond)}; by CPU per request ${ms(floor.cpuMsPerRequest)} / ${ms(route.cpuMsPerRequest)} ms = ${pct(floor.cpuMsPerRequest / route.cpuMsPerRequest)} | ${route.concurrency === 16 ? `≥ ${pct(TARGETS.ingestShareOfFloor)} of floor, 0 refused` : "—"} | ${route.concurrency === 16 ? met(ingestMet && route.refused === 0) : ""} |`,
    ),
    `| end to end, emails/s (${f.endToEnd.emails} emails, ${f.endToEnd.succeeded} succeeded) | ${f.endToEnd.perSecond.toFixed(1)} | ${f.endToEndCeiling.perSecond.toFixed(1)} = ${pct(e2eShare)}; by CPU per email ${ms(f.endToEndCeiling.cpuMsPerEmail)} / ${ms(f.endToEnd.cpuMsPerEmail)} ms = ${pct(f.endToEndCeiling.cpuMsPerEmail / f.endToEnd.cpuMsPerEmail)} | ≥ ${pct(TARGETS.endToEndShareOfCeiling)} of ceiling | ${met(e2eMet)} |`,
    `| webhook acknowledgement (signed Stripe event), p50 / p99 | ${ms(f.webhook.webhook.p50)} / ${ms(f.webhook.webhook.p99)} ms | one SendMessage: ${ms(f.webhook.floor.p50)} / ${ms(f.webhook.floor.p99)} ms | — | |`,
    `| Redis round trips per POST /v1/emails (commands) | ${postRt?.requests.toFixed(2)} (${postRt?.commands.toFixed(2)}) | — | ≤ ${TARGETS.httpRoundTrips} | ${met((postRt?.requests ?? 99) <= TARGETS.httpRoundTrips)} |`,
    `| Redis round trips per email in the worker (commands) | ${f.workerRoundTrips.requests.toFixed(2)} (${f.workerRoundTrips.commands.toFixed(2)}) | — | ≤ ${TARGETS.workerRoundTrips} | ${met(f.workerRoundTrips.requests <= TARGETS.workerRoundTrips)} |`,
    `| largest bundle (${biggest?.functionName}) | ${kb(biggest?.bytes ?? 0)} KB | — | ≤ ${TARGETS.bundleKB} KB (secret-only ≤ ${TARGETS.secretOnlyBundleKB} KB) | ${met(bundleMisses.length === 0)}${bundleMisses.length > 0 ? ` (${bundleMisses.length} of ${f.bundles.length})` : ""} |`,
    `| module init, slowest median (${[...f.bundles].sort((a, b) => (b.initMs ?? 0) - (a.initMs ?? 0))[0]?.functionName}); slowest CPU median | ${ms(Math.max(...f.bundles.map((b) => b.initMs ?? Number.NaN)))} ms; ${ms(Math.max(...f.bundles.map((b) => b.initCpuMs ?? Number.NaN)))} ms CPU | — | ≤ ${TARGETS.initMs} ms | ${met(initMisses.length === 0)}${initMisses.length > 0 ? ` (${initMisses.length} of ${f.bundles.length})` : ""} |`,
    `| ${f.connections.connections} WebSocket connections, push p50 / p99 while ${f.connections.completed} of their tasks complete | ${ms(f.connections.push.p50)} / ${ms(f.connections.push.p99)} ms | — | — | |`,
    `| gateway process memory at ${f.connections.connections} connections (heap / RSS growth) | ${f.connections.heapMiB.toFixed(1)} / ${f.connections.rssMiB.toFixed(1)} MiB | — | — | |`,
  ];

  const ingestTable = [
    `| workload | concurrency | requests | requests/s | p50 ms | p99 ms | CPU ms/request | answers |`,
    `|---|---:|---:|---:|---:|---:|---:|---|`,
    ...(c1 && c16 ? [c1, c16] : []).flatMap(({ route, floor }) => [
      `| POST /v1/emails | ${route.concurrency} | ${route.requests} | ${route.perSecond.toFixed(0)} | ${ms(route.latency.p50)} | ${ms(route.latency.p99)} | ${ms(route.cpuMsPerRequest)} | ${Object.entries(
        route.statuses,
      )
        .map(([s, n]) => `${s}: ${n}`)
        .join(", ")} |`,
      `| floor: 1 Upstash round trip + 1 SendMessage | ${floor.concurrency} | ${floor.requests} | ${floor.perSecond.toFixed(0)} | ${ms(floor.latency.p50)} | ${ms(floor.latency.p99)} | ${ms(floor.cpuMsPerRequest)} | — |`,
    ]),
  ];

  const bundleTable = [
    `| function | needs | bundle KB | target KB | init ms (median) | init CPU ms (median) | largest parts (KB) |`,
    `|---|---|---:|---:|---:|---:|---|`,
    ...f.bundles.map((b) => {
      const target = b.secretOnly ? TARGETS.secretOnlyBundleKB : TARGETS.bundleKB;
      const over = b.bytes / 1024 - target;
      return `| ${b.functionName} | ${b.needs.join(", ") || "—"} | ${kb(b.bytes)}${over > 0 ? ` (+${over.toFixed(0)})` : ""} | ${target} | ${b.initMs === undefined ? `failed: ${b.initError}` : ms(b.initMs)} | ${ms(b.initCpuMs ?? Number.NaN)} | ${b.byPackage
        .slice(0, 6)
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(", ")} |`;
    }),
  ];

  const c = f.connections;
  return `## Pipeline: POST /v1/emails → SQS → worker → SES → WebSocket push

${f.quick ? "**Quick run** (`npm run bench -- --quick`, small counts: checks that the benchmark runs, not its numbers).\n\n" : ""}The local runtime with the shipped manifest (the email queue's batching window as
shared/app/email.ts sets it), each handler in its own sandbox against the emulators, the
runtime's Upstash proxy counting every round trip (its stats()), generous rate limits, handlers'
logs off, everything on 127.0.0.1. WebSocket clients run in a child process
(bench/ws-swarm.ts), so they neither share the gateway's event loop nor count in its memory.
Each figure stands beside a floor or ceiling measured in the same run with the same clients and
emulators, so its ratio holds on another machine even where its milliseconds do not.

${summary.join("\n")}

**Ingest** (no queue polled, as on AWS the workers run elsewhere and the floor's queue is not
consumed either; ${c16?.route.requests ?? 0} requests after a warm-up). The floor is the least one
request can cost: one Upstash round trip, then one SQS SendMessage, through the same proxy and the
same local AWS edge, at the same concurrency. *CPU ms/request* is the benchmark process's CPU (every
thread: client, gateway, proxies, emulators, sandboxes; not redis-server) over the run, divided by
requests; the ratio of CPU per request moves far less with other users' load than requests/s do.

${ingestTable.join("\n")}

**Bundles** built with esbuild and the options of infra/constructs/ferry-function.ts
(FERRY_BUNDLING), sizes of \`index.mjs\` (the source map is a separate file); *secret-only*
functions are those whose needs grant no AWS API (their one AWS call, the secret read at cold
start, is a signed fetch: shared/aws/secrets.ts). Init: \`import()\` of the bundle in a fresh \`node\`
process with the function's environment, median of ${f.quick ? 1 : 5}: its wall time, and the CPU
(user + system, every thread) it used. *Largest parts* sums esbuild's metafile \`bytesInOutput\` by package.

${bundleTable.join("\n")}

**${c.connections} connections**: tickets written straight to Redis (the ticket route is measured in the
rate-limit section), ${c.connections} connections opened 64 at a time in ${c.openSeconds.toFixed(1)} s, each subscribed (100 subscribes in flight) to a task of
its own; then ${c.completed} of those tasks were sent through the queue at 25 per second. *Push* runs from the
\`succeeded\` transition (the task's \`updatedAt\`, written by the worker's script) to the client;
enqueue → seen p50 / p99 ${ms(c.enqueueToSeen.p50)} / ${ms(c.enqueueToSeen.p99)} ms. Memory is the growth of the benchmark
process, which holds the gateway (and the function sandboxes' threads, in RSS), after a GC.

**Load**: this machine's two cores are shared with other users (the load average is in the
machine section), which stretches every wall-clock figure: floors and ceilings measured in the
same run stretch with it, so read the ratios and the CPU columns first. A throughput target
counts as met only when its CPU ratio agrees.

What bounds each figure that misses its target or stands near it (measured here, not guessed):
- **Ingest at concurrency 16**: ${pct(ingestShare)} of the floor by requests/s, ${pct(ingestCpuShare)} by CPU per
  request. The floor the target names is one Upstash round trip and one SendMessage; the route
  must also receive the client's request (the floor has no HTTP server) and make its second
  round trip, the task record, after the enqueue (the suppression lookup now rides in the
  auth + rate-limit script: 2 round trips, was 3). Counted in HTTP exchanges on the same cores,
  that is 4 against the floor's 2, so the CPU ratio cannot stand far above 50 % however little
  Ferry's own code costs. A CPU profile of this code (\`node --cpu-prof\`, every thread, 2,000 requests at
  concurrency 16 after a warm-up): the createEmail sandbox's thread was busy 89 % of the run
  (13.5 of 15.2 s), the main thread (client, gateway, Upstash proxy, AWS edge, emulators) 63 %.
  In the sandbox, self time went 17 % to the AWS SDK (SendMessage), 16 % to Node's HTTP, socket and
  stream code, 15 % to undici's \`fetch\` (the two Upstash round trips), 14 % to V8 natives (socket
  writes, JSON), 5 % to GC; Ferry's own code (shared/, functions/) 8.7 %, Powertools 2.3 %, zod
  1.9 %, middy 0.5 %. So the route is bound by the HTTP work it must do on one emulated execution
  environment. The local runtime can now run several sandboxes per function as Lambda does
  (FERRY_LOCAL_SANDBOXES); on these 2 cores a second createEmail sandbox made this figure worse
  (186 against 218 requests/s and 9.9 against 7.2 ms of CPU per request, back to back), since the
  runtime's own thread needs a core, so the default here is one sandbox per function.
- **End to end**: ${pct(e2eShare)} of the ceiling by emails/s, ${pct(e2eCpuShare)} by CPU per email. The ceiling
  does by construction half the HTTP work per email: one SendMessage, one Upstash round trip and
  one SendEmail (SQS and SES through the local AWS edge: 5 requests), where Ferry's path makes the
  client's POST, two Upstash round trips and a SendMessage at ingest, then three round trips and a
  SendEmail in the worker (10 requests), plus the gateway → sandbox and poller → sandbox hops.
  A CPU profile of this code (500 emails after 50): main thread 13.3 s busy, createEmail 8.4 s,
  the email worker 6.7 s and the delivery-events worker 3.1 s (the SES events of every email, work
  the ceiling does not do) over ~16 s of wall time on 2 cores: bound by CPU. Over all threads:
  Node's HTTP, socket, stream and other internals 39 %, the AWS SDK 14 %, V8 natives 13 %, undici
  \`fetch\` 10 %; Ferry's own code 4.2 %, Powertools 2.3 %, zod 1.7 %. Both sides now overlap the same number of batches (the
  email queue's maxConcurrency, ${CEILING_CONSUMERS}).
- **Bundles**: the email worker alone is over 350 KB. What fills it (the *largest parts* column is
  esbuild's metafile): the AWS SDK's shared core (\`@smithy/core\` ~136 KB, \`@aws-sdk/core\` ~26 KB)
  and its three clients: SESv2 61 KB, of which 47 KB is one schema module holding every SESv2
  shape (it registers the service's error classes at load, so esbuild cannot drop the shapes
  SendEmail does not use), SQS 25 KB and \`@connections\` 11 KB. Without the SDK the same function
  would be ~150 KB. Cut in this change, from every function: \`@upstash/redis\` (93 KB) for
  Ferry's own REST client (~3 KB, shared/redis/upstash-rest.ts), zod's classic API (~109 KB) for
  \`zod/mini\` (35–47 KB), and the SDK's container and instance-metadata credential providers
  (~11 KB, never loaded on Lambda); the webhook and payment reads no longer bundle the payment
  worker's scripts. Before: 252–587 KB, 15 of 15 over their targets.
- **Module init**: a CPU profile of createEmail's bundle import (unminified, 3 fresh processes,
  ~147 ms of CPU each including Node's own start) put 24 % in V8 compiling the bundle
  (\`compileSourceTextModule\`, which grows with its size), 9 % in Node loading its internal
  modules (HTTP, crypto, streams, which the SDK and \`fetch\` need) and ~40 ms in the bundle's own
  top level, of which zod building the schemas ~15 ms, the SDK ~3 ms and Powertools ~3 ms. In this
  run the functions without the SDK imported in ${initRange(f.bundles.filter((b) => b.secretOnly))} ms (CPU medians) and those
  with it in ${initRange(f.bundles.filter((b) => !b.secretOnly))} ms. Node's
  \`--enable-source-maps\` is no longer set: parsing the source map at load cost 8–15 ms of each
  init (health 54 against 40 ms of CPU, createEmail 107 against 87). Moving schema construction to
  the first invocation would only move its cost inside the same cold start (the configuration is
  checked there), so it was not done.
- **Fan-out**: each push is one PostToConnection. A CPU profile of 2,000 of them through the local
  \`@connections\` endpoint put ~0.5 ms per call in the SDK's middleware stack (\`@smithy/core\`),
  ~0.13 ms in SigV4 signing and most of the rest in Node's HTTP client and the gateway's own
  socket writes, all on the same 2 cores; raising PUBLISH_CONCURRENCY (25) did not help (25, 50,
  100 and 200 in flight measured alike).

On AWS (not measured here: nothing is deployed from this machine), the same path is POST through
API Gateway and a warm createEmail (two Upstash round trips, one SendMessage), the SQS event
source mapping's poll-to-invoke delay (no batching window now, so no wait beyond its long poll),
the worker's three Upstash round trips, one SES SendEmail, and one PostToConnection per
subscriber. The SES call and the event source mapping dominate it; each Upstash round trip is an
HTTPS request, a few milliseconds in the same region (see "Redis N ms away" in the rate-limit
section for what distance costs), and a cold start adds each function's init above.

Method notes:
- *Submit → succeeded, 1 subscriber*: one email at a time; the client subscribes as soon as POST
  returns the task id, and the time ends when it holds \`succeeded\`, pushed or in the subscribe reply
  (when the task finished first). ${f.submitOne.count} emails after 3 warm-ups.
- *200 subscribers*: a task watched by 200 connections before its message is enqueued (the message
  POST /v1/emails would send), so the worker pushes \`processing\` and \`succeeded\` to all 200;
  ${f.submitMany.toLast.count} tasks after 2 warm-ups.
- *End to end*: ${f.endToEnd.emails} POST /v1/emails at concurrency 16, timed from the first request to the last
  task's \`succeeded\` (read from redis-server directly, not through the counted proxy). The ceiling
  does the same work without Ferry's code: 16 producers SendMessage, ${CEILING_CONSUMERS} consumer loops play the
  event source mapping as the local poller does (as many batches of up to 10 in flight), one Upstash round
  trip and one SES SendEmail per message, DeleteMessageBatch.
- *Round trips* are REST requests counted at the Upstash proxy (a pipeline or script counts once);
  *commands* counts the commands in them. Worker: one email at a time (no auto-pipelining across
  emails), no subscribers. POST /v1/emails: one request at a time, no queue polled.
`;
}
