/**
 * The app manifest: the one description of Ferry's functions, HTTP routes, WebSocket routes and
 * queues. The CDK stack (infra/stack.ts) and the local runtime (infra/local/) both read it, so
 * what is deployed and what runs offline cannot drift apart. Tests check both against it.
 * Each feature contributes a slice (shared/app/*.ts); this file merges them and checks that
 * every reference names a function that exists.
 */
import { core } from "./core.ts";
import { email } from "./email.ts";
import { payments } from "./payments.ts";
import { realtime } from "./realtime.ts";
import type { FunctionSpec, HttpRoute, ManifestPart, QueueName, QueueSpec, WebSocketRoute } from "./types.ts";

export * from "./types.ts";

const parts: readonly ManifestPart[] = [core, email, realtime, payments];

export interface AppManifest {
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly http: {
    readonly routes: readonly HttpRoute[] /** `$default` route: unknown paths. */;
    readonly fallback: string;
  };
  readonly webSocket: {
    readonly routeSelectionExpression: string;
    readonly routes: readonly WebSocketRoute[];
  };
  readonly queues: Partial<Readonly<Record<QueueName, QueueSpec>>>;
}

/** Merges slices; throws on a duplicate name or a reference to a function no slice defines. */
export function buildManifest(slices: readonly ManifestPart[], fallback: string): AppManifest {
  const functions: Record<string, FunctionSpec> = {};
  const queues: Partial<Record<QueueName, QueueSpec>> = {};
  for (const slice of slices) {
    for (const [name, spec] of Object.entries(slice.functions)) {
      if (functions[name]) throw new Error(`manifest: function ${name} is defined twice`);
      functions[name] = spec;
    }
    for (const [name, spec] of Object.entries(slice.queues ?? {}) as [QueueName, QueueSpec][]) {
      if (queues[name]) throw new Error(`manifest: queue ${name} is defined twice`);
      queues[name] = spec;
    }
  }
  const routes = slices.flatMap((s) => s.httpRoutes ?? []);
  const wsRoutes = slices.flatMap((s) => s.webSocketRoutes ?? []);
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) throw new Error(`manifest: route ${key} is defined twice`);
    seen.add(key);
  }
  const references = [
    ...routes.map((r) => [`route ${r.method} ${r.path}`, r.function] as const),
    ...wsRoutes.map((r) => [`websocket route ${r.routeKey}`, r.function] as const),
    ...Object.entries(queues).map(([q, spec]) => [`queue ${q}`, spec.worker] as const),
    ["http fallback", fallback] as const,
  ];
  for (const [what, fn] of references) {
    if (!functions[fn]) throw new Error(`manifest: ${what} names unknown function ${fn}`);
  }
  return {
    functions,
    http: { routes, fallback },
    webSocket: { routeSelectionExpression: "$request.body.action", routes: wsRoutes },
    queues,
  };
}

export const manifest: AppManifest = buildManifest(parts, "notFound");
