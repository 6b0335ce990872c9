/**
 * The app manifest: the one description of Ferry's functions (entry, needs, routes), WebSocket
 * routes and queues. The CDK stack (infra/stack.ts), the local runtime (infra/local/) and the
 * tests all read it, so what is deployed and what runs offline cannot drift apart. Each feature
 * declares a slice (shared/app/<feature>.ts); this file merges them and validates the result.
 * Lambda code never imports this file: a handler imports its own slice.
 */
import { core } from "./core.ts";
import { delivery } from "./delivery.ts";
import { email } from "./email.ts";
import { payments } from "./payments.ts";
import { realtime } from "./realtime.ts";
import type { FunctionSpec, HttpRoute, ManifestPart, QueueName, QueueSpec, WebSocketRoute } from "./types.ts";
import { manifestProblems } from "./validate.ts";

export * from "./needs.ts";
export * from "./types.ts";

export interface AppManifest {
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly http: {
    readonly routes: readonly HttpRoute[];
    /** The function behind the `$default` route: unknown paths. */
    readonly fallback: string;
  };
  readonly webSocket: {
    readonly routeSelectionExpression: string;
    readonly routes: readonly WebSocketRoute[];
  };
  readonly queues: Partial<Readonly<Record<QueueName, QueueSpec>>>;
}

/** A manifest that cannot be built or deployed, with every problem named. */
export class InvalidManifestError extends Error {
  override readonly name = "InvalidManifestError";
}

/** Merges slices into the manifest the stack and the local runtime read; throws on any problem. */
export function buildManifest(slices: readonly ManifestPart[], fallback: string): AppManifest {
  const problems: string[] = [];
  const functions: Record<string, FunctionSpec> = {};
  const queues: Partial<Record<QueueName, QueueSpec>> = {};
  for (const slice of slices) {
    for (const [name, spec] of Object.entries(slice.functions)) {
      if (functions[name]) problems.push(`function "${name}" is defined twice`);
      functions[name] = spec;
    }
    for (const [name, spec] of Object.entries(slice.queues ?? {}) as [QueueName, QueueSpec][]) {
      if (queues[name]) problems.push(`queue "${name}" is defined twice`);
      queues[name] = spec;
    }
  }
  const manifest = manifestFromFunctions(functions, queues, fallback);
  problems.push(...manifestProblems(manifest));
  if (problems.length > 0) throw new InvalidManifestError(`Invalid app manifest: ${problems.join("; ")}`);
  return manifest;
}

/** The derived route lists: each function's declared routes, with the function's name. */
export function manifestFromFunctions(
  functions: Readonly<Record<string, FunctionSpec>>,
  queues: Partial<Readonly<Record<QueueName, QueueSpec>>>,
  fallback: string,
): AppManifest {
  const entries = Object.entries(functions);
  return {
    functions,
    http: {
      routes: entries.flatMap(([name, spec]) =>
        (spec.http ?? []).map((route) => ({ ...route, function: name })),
      ),
      fallback,
    },
    webSocket: {
      routeSelectionExpression: "$request.body.action",
      routes: entries.flatMap(([name, spec]) =>
        (spec.webSocket ?? []).map((routeKey) => ({ routeKey, function: name })),
      ),
    },
    queues,
  };
}

export const manifest: AppManifest = buildManifest([core, email, realtime, payments, delivery], "notFound");
