/**
 * The local runtime with the app's own manifest: Ferry's real handlers behind the local gateway,
 * the environment they are given, the seeded dev key, the outbox and the state file for CLIs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { manifest, SCOPES } from "#shared/app/manifest.ts";
import { authenticateApiKey } from "#shared/auth/api-keys.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { redisOf } from "#test/support/upstash.ts";

let runtime: LocalRuntime;
const stateDir = mkdtempSync(join(tmpdir(), "ferry-runtime-test-"));
const stateFile = join(stateDir, "local.json");

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, redisUrl: inject("redisUrl"), quiet: true, stateFile });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("local runtime with the app manifest", () => {
  it("serves GET /health from the real handler", async () => {
    // Act
    const res = await fetch(`${runtime.url}/health`);

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
    expect(res.headers.get("apigw-requestid")).toBeTruthy();
  });

  it("sends an unknown route to the manifest's fallback function", async () => {
    // Act
    const res = await fetch(`${runtime.url}/v1/does-not-exist`);

    // Assess
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 404 });
  });

  it("gives each function the emulators' endpoints, the dev defaults and only its own needs' variables", () => {
    // Act
    const worker = runtime.environmentOf("emailWorker");
    const getTask = runtime.environmentOf("getTask");
    const ticket = runtime.environmentOf("createRealtimeTicket");

    // Assess
    expect(worker).toMatchObject({
      UPSTASH_REDIS_REST_URL: runtime.upstash.url,
      UPSTASH_REDIS_REST_TOKEN: runtime.upstash.token,
      AWS_REGION: "us-east-1",
      // Through the local AWS edge, which stands in front of the emulators.
      AWS_ENDPOINT_URL_SQS: runtime.aws.sqs.endpoint,
      AWS_ENDPOINT_URL_SESV2: runtime.aws.ses.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: "emailWorker",
      EMAIL_QUEUE_URL: runtime.sqs.queueUrls.emails?.url,
      WS_CALLBACK_URL: `${runtime.url}/_ws`,
      STRIPE_WEBHOOK_SECRET: runtime.webhookSecrets.stripe,
    });
    expect(worker.EMAIL_FROM).toBeTruthy();
    expect(ticket.WS_PUBLIC_URL).toBe(runtime.wsUrl);
    for (const variable of [
      "EMAIL_QUEUE_URL",
      "PAYMENTS_QUEUE_URL",
      "EMAIL_FROM",
      "WS_CALLBACK_URL",
      "WS_PUBLIC_URL",
    ]) {
      expect(getTask, variable).not.toHaveProperty(variable);
    }
    expect(worker).not.toHaveProperty("PAYMENTS_QUEUE_URL");
    expect(runtime.webhookSecrets.stripe).toMatch(/^whsec_/);
    expect(runtime.wsUrl).toBe(`${runtime.url.replace("http:", "ws:")}/ws`);
  });

  it("leaves its own process environment alone (each function has its own sandbox)", () => {
    expect(process.env.UPSTASH_REDIS_REST_URL).not.toBe(runtime.upstash.url);
    expect(process.env.AWS_ENDPOINT_URL_SQS).not.toBe(runtime.sqs.endpoint);
  });

  it("seeds the dev API key with every scope", async () => {
    // Prepare
    const redis = redisOf(runtime);

    // Act
    const principal = await authenticateApiKey(redis, runtime.devApiKey);

    // Assess
    expect(runtime.devApiKey).toBe("ferry-dev-key");
    expect(principal?.scopes).toEqual([...SCOPES]);
  });

  it("lists emails sent through the SES emulator at GET /local/outbox", async () => {
    // Prepare
    const subject = `outbox ${crypto.randomUUID()}`;
    const ses = new SESv2Client(localClientConfig(runtime.ses.endpoint));
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: "ferry@ferry.local",
        Destination: { ToAddresses: ["someone@example.com"] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: "hello" } } } },
      }),
    );

    // Act
    const res = await fetch(runtime.outboxUrl);

    // Assess
    expect(res.status).toBe(200);
    const { emails } = (await res.json()) as {
      emails: Array<{ subject: string; to: string[]; text?: string }>;
    };
    expect(emails.find((e) => e.subject === subject)).toMatchObject({
      to: ["someone@example.com"],
      text: "hello",
    });
  });

  it("writes the state file CLIs read to reach it", () => {
    // Act
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as Record<string, unknown>;

    // Assess
    expect(state).toMatchObject({
      pid: process.pid,
      url: runtime.url,
      wsUrl: runtime.wsUrl,
      upstash: runtime.upstash,
      sqs: { endpoint: runtime.sqs.endpoint },
      ses: runtime.ses,
    });
    expect(existsSync(stateFile)).toBe(true);
  });

  it("fails a function at cold start when it lacks a need its code relies on, as it would on AWS", async () => {
    // Prepare: a second runtime (allowed: sandboxes are per function) whose ticket function has
    // lost its websocket:url need, so it no longer gets WS_PUBLIC_URL.
    const ticketFunction = manifest.functions.createRealtimeTicket;
    if (!ticketFunction) throw new Error("no createRealtimeTicket");
    const broken = await startLocalRuntime({
      port: 0,
      redisUrl: inject("redisUrl"),
      quiet: true,
      stateFile: false,
      manifest: {
        ...manifest,
        functions: { ...manifest.functions, createRealtimeTicket: { ...ticketFunction, needs: [] } },
      },
    });
    try {
      const ask = (rt: LocalRuntime) =>
        fetch(`${rt.url}/v1/realtime/tickets`, {
          method: "POST",
          headers: { authorization: `Bearer ${rt.devApiKey}` },
        });

      // Act
      const refused = await ask(broken);
      const served = await ask(runtime);

      // Assess
      // A configuration problem: 503 configuration-incomplete (and a metric), never the variable.
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({
        type: "https://ferry.dev/problems/configuration-incomplete",
      });
      expect(broken.environmentOf("createRealtimeTicket")).not.toHaveProperty("WS_PUBLIC_URL");
      expect(served.status).toBe(201);
    } finally {
      await broken.stop();
    }
  });
});
