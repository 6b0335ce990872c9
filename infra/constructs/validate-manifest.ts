/**
 * Checks the manifest as a whole before anything is built: dangling function names, duplicate
 * routes and needs the manifest cannot satisfy fail synth with every problem listed at once,
 * instead of surfacing as a CDK construct-ID clash or a broken deploy.
 */
import type { AppManifest, FunctionNeed, QueueName } from "#shared/app/manifest.ts";

/** A manifest entry or stack setting the stack cannot deploy; thrown at synth, naming the culprit. */
export class InvalidStackInputError extends Error {
  override readonly name = "InvalidStackInputError";
}

/** API Gateway HTTP APIs give up on an integration after 30 s, whatever the function's timeout. */
const HTTP_INTEGRATION_TIMEOUT_SECONDS = 30;

const QUEUE_OF_NEED: Partial<Record<FunctionNeed, QueueName>> = {
  "emailQueue:send": "emails",
  "paymentQueue:send": "payments",
};

export function validateManifest(manifest: AppManifest): void {
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
    if (!Number.isInteger(spec.memoryMb) || spec.memoryMb < 128 || spec.memoryMb > 10_240) {
      problems.push(`function "${name}": memoryMb (${spec.memoryMb}) must be an integer from 128 to 10240`);
    }
    for (const need of spec.needs) {
      const queue = QUEUE_OF_NEED[need];
      if (queue && !manifest.queues[queue]) {
        problems.push(`function "${name}" needs ${need} but the manifest has no "${queue}" queue`);
      }
      if (need.startsWith("websocket:") && manifest.webSocket.routes.length === 0) {
        problems.push(`function "${name}" needs ${need} but the manifest has no WebSocket routes`);
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

  for (const [name, spec] of Object.entries(manifest.queues)) {
    if (spec) mustExist(spec.worker, `queue "${name}"`);
  }

  if (problems.length > 0) {
    throw new InvalidStackInputError(`Invalid app manifest: ${problems.join("; ")}`);
  }
}
