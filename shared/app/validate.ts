/**
 * The one manifest validator: dangling function names, duplicate routes, needs the manifest
 * cannot satisfy, queue settings AWS would reject and workers without their queue's need, all
 * listed at once. buildManifest() runs it on the app's slices, the stack on whatever it is given,
 * so a bad declaration fails at module load and at synth instead of surfacing as a CDK
 * construct-ID clash, a broken deploy or a denial on AWS.
 */
import type { AppManifest } from "./manifest.ts";
import { CONSUME_NEED, referencesOfNeeds } from "./needs.ts";
import { DEFAULT_MAX_CONCURRENCY, QUEUE_NAMES, type QueueName, type QueueSpec } from "./types.ts";

/** API Gateway HTTP APIs give up on an integration after 30 s, whatever the function's timeout. */
export const HTTP_INTEGRATION_TIMEOUT_SECONDS = 30;

/** AWS advises a visibility timeout of at least six times the consumer's timeout for SQS consumers. */
export const MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO = 6;

export function manifestProblems(manifest: AppManifest): string[] {
  const problems: string[] = [];
  const known = new Set(Object.keys(manifest.functions));
  const mustExist = (name: string, usedBy: string): void => {
    if (!known.has(name)) problems.push(`${usedBy} names unknown function "${name}"`);
  };

  for (const [name, spec] of Object.entries(manifest.functions)) {
    if (!Number.isInteger(spec.timeoutSeconds) || spec.timeoutSeconds < 1 || spec.timeoutSeconds > 900) {
      problems.push(
        `function "${name}": timeoutSeconds (${spec.timeoutSeconds}) must be an integer from 1 to 900`,
      );
    }
    const reserved = spec.reservedConcurrency;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1 || reserved > 1000)) {
      problems.push(
        `function "${name}": reservedConcurrency (${reserved}) must be an integer from 1 to 1000`,
      );
    }
    if (!Number.isInteger(spec.memoryMb) || spec.memoryMb < 128 || spec.memoryMb > 10_240) {
      problems.push(`function "${name}": memoryMb (${spec.memoryMb}) must be an integer from 128 to 10240`);
    }
    const references = referencesOfNeeds(spec.needs);
    for (const queue of references.queues) {
      if (!manifest.queues[queue]) {
        problems.push(`function "${name}" needs the "${queue}" queue but the manifest has none`);
      }
    }
    if (references.webSocket && manifest.webSocket.routes.length === 0) {
      problems.push(`function "${name}" needs the WebSocket API but the manifest has no WebSocket routes`);
    }
    for (const queue of QUEUE_NAMES) {
      if (spec.needs.includes(CONSUME_NEED[queue]) && manifest.queues[queue]?.worker !== name) {
        problems.push(
          `function "${name}" needs ${CONSUME_NEED[queue]} but is not the "${queue}" queue's worker`,
        );
      }
    }
  }

  const httpKeys = new Set<string>();
  const httpFunctions = new Set<string>([manifest.http.fallback]);
  mustExist(manifest.http.fallback, "http.fallback");
  for (const route of manifest.http.routes) {
    const key = `${route.method} ${route.path}`;
    mustExist(route.function, `HTTP route "${key}"`);
    if (!route.path.startsWith("/")) problems.push(`HTTP route "${key}": the path must start with "/"`);
    if (httpKeys.has(key)) problems.push(`HTTP route "${key}" is declared twice`);
    httpKeys.add(key);
    httpFunctions.add(route.function);
  }
  for (const name of httpFunctions) {
    const timeout = manifest.functions[name]?.timeoutSeconds ?? 0;
    if (timeout > HTTP_INTEGRATION_TIMEOUT_SECONDS) {
      problems.push(
        `function "${name}" serves HTTP but its timeout (${timeout} s) exceeds API Gateway's ` +
          `${HTTP_INTEGRATION_TIMEOUT_SECONDS} s integration limit`,
      );
    }
  }

  const wsKeys = new Set<string>();
  for (const route of manifest.webSocket.routes) {
    mustExist(route.function, `WebSocket route "${route.routeKey}"`);
    if (wsKeys.has(route.routeKey)) problems.push(`WebSocket route "${route.routeKey}" is declared twice`);
    wsKeys.add(route.routeKey);
  }

  for (const [name, spec] of Object.entries(manifest.queues) as [QueueName, QueueSpec | undefined][]) {
    if (!spec) continue;
    mustExist(spec.worker, `queue "${name}"`);
    const worker = manifest.functions[spec.worker];
    if (!worker) continue;
    if (!worker.needs.includes(CONSUME_NEED[name])) {
      problems.push(`queue "${name}": its worker "${spec.worker}" must declare ${CONSUME_NEED[name]}`);
    }
    problems.push(...queueSpecProblems(spec, worker.timeoutSeconds).map((p) => `queue "${name}": ${p}`));
    const cap = spec.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (worker.reservedConcurrency !== undefined && worker.reservedConcurrency < cap) {
      // The mapping would invoke more instances than may run: the extra invocations are throttled.
      problems.push(
        `queue "${name}": its worker's reservedConcurrency (${worker.reservedConcurrency}) is below the queue's maxConcurrency (${cap})`,
      );
    }
  }
  return problems;
}

/** What SQS and the Lambda event source mapping would reject, or what would lose messages. */
export function queueSpecProblems(spec: QueueSpec, workerTimeoutSeconds: number): string[] {
  const problems: string[] = [];
  const minVisibility = MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO * workerTimeoutSeconds;
  if (spec.visibilityTimeoutSeconds < minVisibility) {
    problems.push(
      `visibilityTimeoutSeconds (${spec.visibilityTimeoutSeconds}) must be at least ` +
        `${MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO} x the worker "${spec.worker}" timeout ` +
        `(${workerTimeoutSeconds} s), i.e. >= ${minVisibility}`,
    );
  }
  if (spec.visibilityTimeoutSeconds > 43_200) {
    problems.push(`visibilityTimeoutSeconds (${spec.visibilityTimeoutSeconds}) must be <= 43200 (12 h)`);
  }
  const maxBatch = spec.fifo ? 10 : 10_000;
  if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1 || spec.batchSize > maxBatch) {
    problems.push(`batchSize (${spec.batchSize}) must be an integer from 1 to ${maxBatch}`);
  }
  if (!spec.fifo && spec.batchSize > 10 && spec.maxBatchingWindowSeconds < 1) {
    problems.push("maxBatchingWindowSeconds must be >= 1 when batchSize is over 10");
  }
  if (!spec.fifo && (spec.maxBatchingWindowSeconds < 0 || spec.maxBatchingWindowSeconds > 300)) {
    problems.push(`maxBatchingWindowSeconds (${spec.maxBatchingWindowSeconds}) must be from 0 to 300`);
  }
  if (!Number.isInteger(spec.maxReceiveCount) || spec.maxReceiveCount < 1 || spec.maxReceiveCount > 1000) {
    problems.push(`maxReceiveCount (${spec.maxReceiveCount}) must be an integer from 1 to 1000`);
  }
  for (const key of ["retentionDays", "dlqRetentionDays"] as const) {
    if (spec[key] < 1 || spec[key] > 14) problems.push(`${key} (${spec[key]}) must be from 1 to 14 days`);
  }
  // A DLQ that forgets messages before the source queue would lose failures it exists to keep.
  if (
    spec.maxConcurrency !== undefined &&
    (!Number.isInteger(spec.maxConcurrency) || spec.maxConcurrency < 2 || spec.maxConcurrency > 1000)
  ) {
    problems.push(`maxConcurrency (${spec.maxConcurrency}) must be an integer from 2 to 1000 (AWS's range)`);
  }
  if (spec.dlqRetentionDays < spec.retentionDays) {
    problems.push(
      `dlqRetentionDays (${spec.dlqRetentionDays}) must be >= retentionDays (${spec.retentionDays})`,
    );
  }
  return problems;
}
