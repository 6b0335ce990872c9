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
import { SCOPES } from "#shared/app/manifest.ts";
import { authenticateApiKey } from "#shared/auth/api-keys.ts";
import { createRedisClient } from "#shared/redis/client.ts";

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

  it("gives handlers the emulators' endpoints and the dev defaults through process.env", () => {
    // Assess
    expect(process.env).toMatchObject({
      UPSTASH_REDIS_REST_URL: runtime.upstash.url,
      UPSTASH_REDIS_REST_TOKEN: runtime.upstash.token,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_SQS: runtime.sqs.endpoint,
      AWS_ENDPOINT_URL_SESV2: runtime.ses.endpoint,
      WS_CALLBACK_URL: `${runtime.url}/_ws`,
      WS_PUBLIC_URL: runtime.wsUrl,
      STRIPE_WEBHOOK_SECRET: runtime.webhookSecrets.stripe,
    });
    expect(process.env.EMAIL_FROM).toBeTruthy();
    expect(runtime.webhookSecrets.stripe).toMatch(/^whsec_/);
    expect(runtime.wsUrl).toBe(`${runtime.url.replace("http:", "ws:")}/ws`);
  });

  it("seeds the dev API key with every scope", async () => {
    // Prepare
    const redis = createRedisClient({
      url: runtime.upstash.url,
      token: runtime.upstash.token,
      timeoutMs: 2000,
    });

    // Act
    const principal = await authenticateApiKey(redis, runtime.devApiKey);

    // Assess
    expect(runtime.devApiKey).toBe("ferry-dev-key");
    expect(principal?.scopes).toEqual([...SCOPES]);
  });

  it("lists emails sent through the SES emulator at GET /local/outbox", async () => {
    // Prepare
    const subject = `outbox ${crypto.randomUUID()}`;
    const ses = new SESv2Client({
      endpoint: runtime.ses.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
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

  it("refuses a second runtime in the same process (handlers keep their first config)", async () => {
    // Act / Assess
    await expect(startLocalRuntime({ port: 0, quiet: true, stateFile: false })).rejects.toThrow(
      /one per process/,
    );
  });
});
