/**
 * Pipeline benchmark: the email path from POST /v1/emails to the WebSocket push of `succeeded`,
 * through the local runtime (the same handlers, each in its own sandbox, against the emulators),
 * each figure beside its floor or ceiling measured in the same run, so the ratio holds on any
 * machine. `--quick` runs every measurement with small counts (for CI: it checks the benchmark
 * still runs and writes its figures, not how fast).
 *
 * The pieces: pipeline-harness.ts (the runtime, its counted Upstash proxy, statistics),
 * pipeline-swarm.ts + ws-swarm.ts (WebSocket clients in a child process), pipeline-measure.ts
 * (each measurement), pipeline-bundles.ts (bundle size and init), pipeline-report.ts (markdown).
 */
import { NEEDS } from "#shared/app/needs.ts";
import type { BenchOptions, BenchSection } from "./main.ts";
import { bundleFigures } from "./pipeline-bundles.ts";
import { endToEndCeiling } from "./pipeline-ceiling.ts";
import { type Harness, startHarness } from "./pipeline-harness.ts";
import {
  endToEnd,
  httpRoundTrips,
  ingest,
  ingestFloor,
  manyConnections,
  submitToSucceeded,
  watchedByMany,
  webhookAck,
  workerRoundTrips,
} from "./pipeline-measure.ts";
import { type PipelineFigures, renderPipelineReport } from "./pipeline-report.ts";
import { startSwarm } from "./pipeline-swarm.ts";

interface Counts {
  readonly latencyRuns: number;
  readonly fanOutRuns: number;
  readonly ingestRequests: number;
  readonly ackRuns: number;
  readonly endToEndEmails: number;
  readonly roundTripEmails: number;
  readonly connections: number;
  readonly connectionsCompleted: number;
  readonly initRuns: number;
}

const FULL: Counts = {
  latencyRuns: 100,
  fanOutRuns: 20,
  ingestRequests: 1000,
  ackRuns: 200,
  endToEndEmails: 500,
  roundTripEmails: 20,
  connections: 5000,
  connectionsCompleted: 500,
  initRuns: 5,
};

const QUICK: Counts = {
  latencyRuns: 5,
  fanOutRuns: 2,
  ingestRequests: 50,
  ackRuns: 10,
  endToEndEmails: 30,
  roundTripEmails: 3,
  connections: 300,
  connectionsCompleted: 20,
  initRuns: 1,
};

/** Functions whose needs grant no AWS API: they load only the Secrets Manager client. */
const secretOnly = (needs: readonly string[]) =>
  needs.every((need) => (NEEDS[need as keyof typeof NEEDS]?.grants.length ?? 1) === 0);

const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const value = await run();
  console.error(`  pipeline: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return value;
};

export async function runPipelineBench(options: BenchOptions): Promise<BenchSection> {
  const counts = options.quick ? QUICK : FULL;

  // The HTTP path alone: workers are no-ops (on AWS they run on other machines).
  const ingestOnly: Harness = await startHarness({ noopWorkers: true });
  let httpFigures: Pick<PipelineFigures, "ingest" | "webhook" | "httpRoundTrips">;
  try {
    const floor1 = await step("ingest floor c1", () => ingestFloor(ingestOnly, 1, counts.ingestRequests));
    const ingest1 = await step("ingest c1", () => ingest(ingestOnly, 1, counts.ingestRequests));
    const floor16 = await step("ingest floor c16", () => ingestFloor(ingestOnly, 16, counts.ingestRequests));
    const ingest16 = await step("ingest c16", () => ingest(ingestOnly, 16, counts.ingestRequests));
    const webhook = await step("webhook ack", () => webhookAck(ingestOnly, counts.ackRuns));
    const rt = await step("HTTP round trips", () => httpRoundTrips(ingestOnly, 20));
    httpFigures = {
      ingest: [
        { route: ingest1, floor: floor1 },
        { route: ingest16, floor: floor16 },
      ],
      webhook,
      httpRoundTrips: rt,
    };
  } finally {
    await ingestOnly.stop();
  }

  const h = await startHarness();
  const swarm = startSwarm();
  try {
    const workerRt = await step("worker round trips", () => workerRoundTrips(h, counts.roundTripEmails));
    const one = await step("submit → succeeded, 1 subscriber", () =>
      submitToSucceeded(h, swarm, counts.latencyRuns),
    );
    const many = await step("200 subscribers", () => watchedByMany(h, swarm, 200, counts.fanOutRuns));
    const ceiling = await step("end-to-end ceiling", () => endToEndCeiling(h, counts.endToEndEmails));
    const e2e = await step("end to end", () => endToEnd(h, counts.endToEndEmails));
    const bundles = await step("bundles", () =>
      bundleFigures((name) => h.runtime.environmentOf(name), counts.initRuns),
    );
    await swarm.close();
    const crowd = startSwarm();
    let connections: PipelineFigures["connections"];
    try {
      connections = await step(`${counts.connections} connections`, () =>
        manyConnections(h, crowd, counts.connections, counts.connectionsCompleted, 25),
      );
    } finally {
      await crowd.close();
    }
    const markdown = renderPipelineReport({
      quick: options.quick,
      ...httpFigures,
      workerRoundTrips: workerRt,
      submitOne: one,
      submitMany: many,
      endToEnd: e2e,
      endToEndCeiling: ceiling,
      bundles: bundles.map((b) => ({ ...b, secretOnly: secretOnly(b.needs) })),
      connections,
    });
    return { title: "Pipeline", markdown };
  } finally {
    await swarm.close();
    await h.stop();
  }
}
