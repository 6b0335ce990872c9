/**
 * Manifests and settings the stack cannot deploy fail at synth with a message naming the culprit,
 * instead of failing a deploy, or every cold start, later.
 */
import { describe, expect, it, vi } from "vitest";
import { type AppManifest, type QueueSpec, manifest as realManifest } from "#shared/app/manifest.ts";
import { buildStack } from "#test/infra/support/build-stack.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

function requireFunction(name: string): never {
  throw new Error(`the manifest has no ${name} function`);
}

function requireQueue(name: "emails" | "payments"): QueueSpec {
  const spec = realManifest.queues[name];
  if (!spec) throw new Error(`the manifest has no ${name} queue`);
  return spec;
}

type QueueOverrides = Partial<Record<"emails" | "payments", Partial<QueueSpec>>>;

function withQueues(overrides: QueueOverrides): AppManifest {
  return {
    ...realManifest,
    queues: {
      ...realManifest.queues,
      emails: { ...requireQueue("emails"), ...overrides.emails },
      payments: { ...requireQueue("payments"), ...overrides.payments },
    },
  };
}

describe("FerryStack rejects queue specs it cannot run safely", () => {
  it("fails when a visibility timeout is under 6 x the worker's timeout, naming both", () => {
    // Prepare: the email worker times out after 30 s, so 180 s is the least allowed.
    const manifest = withQueues({ emails: { visibilityTimeoutSeconds: 179 } });

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      'queue "emails": visibilityTimeoutSeconds (179) must be at least 6 x the worker "emailWorker" timeout (30 s), i.e. >= 180',
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
      /queue "payments": batchSize \(11\) must be an integer from 1 to 10/,
    );
  });

  it("fails on a maxReceiveCount below 1", () => {
    const manifest = withQueues({ emails: { maxReceiveCount: 0 } });

    expect(() => buildStack({ manifest })).toThrow(
      /queue "emails": maxReceiveCount \(0\) must be an integer/,
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
      ...realManifest,
      http: {
        ...realManifest.http,
        routes: [
          ...realManifest.http.routes,
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
      ...realManifest,
      http: {
        ...realManifest.http,
        routes: [...realManifest.http.routes, ...realManifest.http.routes.slice(0, 1)],
      },
    };

    expect(() => buildStack({ manifest })).toThrow(/HTTP route "GET \/health" is declared twice/);
  });

  it("fails when a function needs a queue the manifest does not have", () => {
    // Prepare: the webhook function needs paymentQueue:send.
    const manifest: AppManifest = { ...realManifest, queues: { emails: requireQueue("emails") } };

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      /function "webhook" needs the "payments" queue but the manifest has none/,
    );
  });

  it("fails when a function needs the WebSocket API and the manifest has no WebSocket routes", () => {
    const manifest: AppManifest = { ...realManifest, webSocket: { ...realManifest.webSocket, routes: [] } };

    expect(() => buildStack({ manifest })).toThrow(
      /function "createRealtimeTicket" needs the WebSocket API but the manifest has no WebSocket routes/,
    );
  });

  it("fails when a queue's worker does not declare the queue's consume need", () => {
    // Prepare: without emailQueue:consume the worker would get neither the queue URL nor the
    // visibility grant it backs off with.
    const worker = realManifest.functions.emailWorker;
    if (!worker) throw new Error("no emailWorker");
    const manifest: AppManifest = {
      ...realManifest,
      functions: {
        ...realManifest.functions,
        emailWorker: { ...worker, needs: worker.needs.filter((n) => n !== "emailQueue:consume") },
      },
    };

    // Act / Assess
    expect(() => buildStack({ manifest })).toThrow(
      /queue "emails": its worker "emailWorker" must declare emailQueue:consume/,
    );
  });

  it("fails when a function declares a queue's consume need without being its worker", () => {
    const getTask = realManifest.functions.getTask;
    if (!getTask) throw new Error("no getTask");
    const manifest: AppManifest = {
      ...realManifest,
      functions: { ...realManifest.functions, getTask: { ...getTask, needs: ["emailQueue:consume"] } },
    };

    expect(() => buildStack({ manifest })).toThrow(
      /function "getTask" needs emailQueue:consume but is not the "emails" queue's worker/,
    );
  });

  it("fails when an HTTP function may run longer than API Gateway waits", () => {
    const manifest: AppManifest = {
      ...realManifest,
      functions: {
        ...realManifest.functions,
        health: { ...(realManifest.functions.health ?? requireFunction("health")), timeoutSeconds: 31 },
      },
    };

    expect(() => buildStack({ manifest })).toThrow(
      /function "health" serves HTTP but its timeout \(31 s\) exceeds/,
    );
  });
});

describe("FerryStack rejects settings the functions would reject at cold start", () => {
  it("fails on an emailFrom that is not an email address", () => {
    expect(() => buildStack({ emailFrom: "ferry at example" })).toThrow(/emailFrom: .*\(EMAIL_FROM\)/);
  });

  it("fails on a sender outside the SES identity it is sent from", () => {
    expect(() => buildStack({ emailFrom: "ferry@other.example.org" })).toThrow(
      /emailFrom: "ferry@other.example.org" is neither the SES identity "mail.example.com" nor an address of its domain/,
    );
  });

  it("fails on rateLimits that are not JSON", () => {
    expect(() => buildStack({ rateLimits: "{capacity: 5" })).toThrow(
      /rateLimits: is not valid JSON \(RATE_LIMITS\)/,
    );
  });

  it("fails on rateLimits naming an unknown policy", () => {
    expect(() => buildStack({ rateLimits: '{"everything":{"capacity":1,"refillPerSecond":1}}' })).toThrow(
      /RATE_LIMITS/,
    );
  });

  it("fails on an Upstash URL that is not a URL", () => {
    expect(() => buildStack({ upstashRestUrl: "upstash" })).toThrow(
      /upstashRestUrl: .*\(UPSTASH_REDIS_REST_URL\)/,
    );
  });

  it("fails on an alarm email that is not an email address", () => {
    expect(() => buildStack({ alarmEmail: "oncall" })).toThrow(
      /alarmEmail: "oncall" is not an email address/,
    );
  });
});
