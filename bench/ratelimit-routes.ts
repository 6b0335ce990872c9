/**
 * Redis round trips per HTTP request, per route: the local runtime serves the manifest's routes
 * and its Upstash proxy counts every REST request it serves (one request = one round trip; a pipeline counts once). Requests
 * are sent one at a time, so client auto-pipelining cannot merge two requests' round trips. The
 * queue workers are replaced by a no-op (bench/noop-worker.ts): their Redis traffic is not the
 * route's.
 */
import { randomUUID } from "node:crypto";
import { startLocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";

export interface RouteRoundTrips {
  readonly route: string;
  readonly status: number;
  readonly roundTrips: number;
}

const REQUESTS_PER_ROUTE = 10;

const GENEROUS = JSON.stringify({
  api: { capacity: 100_000, refillPerSecond: 10_000 },
  emails: { capacity: 100_000, refillPerSecond: 10_000 },
  webhooks: { capacity: 100_000, refillPerSecond: 10_000 },
});

export async function roundTripsPerRoute(redisUrl: string): Promise<RouteRoundTrips[]> {
  const workers = Object.fromEntries(
    Object.values(manifest.queues).map((q) => [
      q.worker,
      { ...manifest.functions[q.worker], entry: "bench/noop-worker.ts" },
    ]),
  );
  const runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl,
    manifest: { ...manifest, functions: { ...manifest.functions, ...workers } } as typeof manifest,
    env: {
      RATE_LIMITS: GENEROUS,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    },
  });
  try {
    const key = runtime.devApiKey;
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await fetch(`${runtime.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, text };
    };
    const email = { to: ["a@example.com", "b@example.com"], subject: "Bench", text: "Hello" };
    const created = JSON.parse((await call("POST", "/v1/emails", email)).text) as { taskId: string };
    const routes: [string, () => Promise<{ status: number }>][] = [
      ["GET /health", () => call("GET", "/health")],
      ["POST /v1/emails", () => call("POST", "/v1/emails", email)],
      [
        "POST /v1/emails + Idempotency-Key",
        () => call("POST", "/v1/emails", email, { "idempotency-key": randomUUID() }),
      ],
      ["GET /v1/tasks/{taskId}", () => call("GET", `/v1/tasks/${created.taskId}`)],
      ["POST /v1/realtime/tickets", () => call("POST", "/v1/realtime/tickets")],
      ["GET /v1/payments/{provider}/{paymentId}", () => call("GET", "/v1/payments/stripe/pi_none")],
      ["POST /v1/webhooks/stripe (unsigned)", () => call("POST", "/v1/webhooks/stripe", {})],
    ];
    const out: RouteRoundTrips[] = [];
    for (const [route, send] of routes) {
      await send(); // warm: the function's cold start and first connection
      const before = runtime.upstashStats().requests;
      let status = 0;
      for (let i = 0; i < REQUESTS_PER_ROUTE; i++) status = (await send()).status;
      out.push({
        route,
        status,
        roundTrips: (runtime.upstashStats().requests - before) / REQUESTS_PER_ROUTE,
      });
    }
    return out;
  } finally {
    await runtime.stop();
  }
}
