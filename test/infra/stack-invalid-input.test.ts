/**
 * Manifests and settings the stack cannot deploy fail at synth with a message naming the culprit,
 * instead of failing a deploy, or every cold start, later.
 */
import { describe, expect, it } from "vitest";
import type { AppManifest, QueueSpec } from "#shared/app/manifest.ts";
import { fullManifest } from "#test/infra/fixtures/full-manifest.ts";
import { buildStack } from "#test/infra/support/build-stack.ts";

type QueueOverrides = Partial<Record<"emails" | "payments", Partial<QueueSpec>>>;

function withQueues(overrides: QueueOverrides): AppManifest {
  return {
    ...fullManifest,
    queues: {
      emails: { ...fullManifest.queues.emails, ...overrides.emails },
      payments: { ...fullManifest.queues.payments, ...overrides.payments },
    },
  };
}

describe("FerryStack rejects queue specs it cannot run safely", () => {
  it("fails when a visibility timeout is under 6 x the worker's timeout, naming both", () => {
    // Prepare: the email worker times out after 30 s, so 180 s is the least allowed.
    const manifest = withQueues({ emails: { visibilityTimeoutSeconds: 179 } });

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      'Queue "emails": visibilityTimeoutSeconds (179) must be at least 6 x the worker "emailWorker" timeout (30 s), i.e. >= 180',
    );
  });

  it("accepts a visibility timeout of exactly 6 x the worker's timeout", () => {
    // Prepare
    const manifest = withQueues({ emails: { visibilityTimeoutSeconds: 180 } });

    // Act / Assess
    expect(() => buildStack({ manifest })).not.toThrow();
  });

  it("fails on a FIFO batch over 10 messages", () => {
    const manifest = withQueues({ payments: { batchSize: 11 } });

    expect(() => buildStack({ manifest })).toThrow(
      /Queue "payments": batchSize \(11\) must be an integer from 1 to 10/,
    );
  });

  it("fails on a maxReceiveCount below 1", () => {
    const manifest = withQueues({ emails: { maxReceiveCount: 0 } });

    expect(() => buildStack({ manifest })).toThrow(
      /Queue "emails": maxReceiveCount \(0\) must be an integer/,
    );
  });

  it("fails when the dead-letter queue keeps messages for less time than its queue", () => {
    const manifest = withQueues({ emails: { retentionDays: 14, dlqRetentionDays: 4 } });

    expect(() => buildStack({ manifest })).toThrow(/dlqRetentionDays \(4\) must be >= retentionDays \(14\)/);
  });
});

describe("FerryStack rejects manifests that do not hang together", () => {
  it("fails on a route to an unknown function", () => {
    // Prepare
    const manifest: AppManifest = {
      ...fullManifest,
      http: {
        ...fullManifest.http,
        routes: [
          ...fullManifest.http.routes,
          { method: "GET", path: "/v1/ghost", function: "ghost", auth: { kind: "none" }, rateLimit: [] },
        ],
      },
    };

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      /HTTP route "GET \/v1\/ghost" names unknown function "ghost"/,
    );
  });

  it("fails on a route declared twice", () => {
    const manifest: AppManifest = {
      ...fullManifest,
      http: { ...fullManifest.http, routes: [...fullManifest.http.routes, fullManifest.http.routes[0]] },
    };

    expect(() => buildStack({ manifest })).toThrow(/HTTP route "GET \/health" is declared twice/);
  });

  it("fails when a function needs a queue the manifest does not have", () => {
    // Prepare: the webhook function needs paymentQueue:send.
    const manifest: AppManifest = { ...fullManifest, queues: { emails: fullManifest.queues.emails } };

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      /function "webhook" needs paymentQueue:send but the manifest has no "payments" queue/,
    );
  });

  it("fails when a function needs the WebSocket API and the manifest has no WebSocket routes", () => {
    const manifest: AppManifest = { ...fullManifest, webSocket: { ...fullManifest.webSocket, routes: [] } };

    expect(() => buildStack({ manifest })).toThrow(
      /function "createTicket" needs websocket:url but the manifest has no WebSocket routes/,
    );
  });

  it("fails when an HTTP function may run longer than API Gateway waits", () => {
    const manifest: AppManifest = {
      ...fullManifest,
      functions: {
        ...fullManifest.functions,
        health: { ...fullManifest.functions.health, timeoutSeconds: 31 },
      },
    };

    expect(() => buildStack({ manifest })).toThrow(
      /function "health" serves HTTP but its timeout \(31 s\) exceeds/,
    );
  });
});

describe("FerryStack rejects settings the functions would reject at cold start", () => {
  it("fails on an emailFrom that is not an email address", () => {
    expect(() => buildStack({ emailFrom: "ferry at example" })).toThrow(/EMAIL_FROM: /);
  });

  it("fails on rateLimits that are not JSON", () => {
    expect(() => buildStack({ rateLimits: "{capacity: 5" })).toThrow(/RATE_LIMITS: is not valid JSON/);
  });

  it("fails on rateLimits naming an unknown policy", () => {
    expect(() => buildStack({ rateLimits: '{"everything":{"capacity":1,"refillPerSecond":1}}' })).toThrow(
      /RATE_LIMITS/,
    );
  });

  it("fails on an Upstash URL that is not a URL", () => {
    expect(() => buildStack({ upstashRestUrl: "upstash" })).toThrow(/UPSTASH_REDIS_REST_URL: /);
  });

  it("fails on an alarm email that is not an email address", () => {
    expect(() => buildStack({ alarmEmail: "oncall" })).toThrow(
      /alarmEmail: "oncall" is not an email address/,
    );
  });
});
