/**
 * Every client Ferry makes calls with gives up at its configured budget. Each test points the real
 * client (built by the same factory the functions use) at a TCP socket on 127.0.0.1 that accepts
 * and never answers. Before the handlers set `throwOnRequestTimeout`, such a call stayed pending
 * far past its budget (measured: SendMessage with 2 s still pending after 12 s; SendEmail held
 * the worker to its 30 s timeout): the upper bounds below are generous but well short of that.
 */

import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { SendEmailCommand } from "@aws-sdk/client-sesv2";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CallBudget, worstCaseMs } from "#shared/aws/http-handler.ts";
import { MANAGEMENT_API_BUDGET, managementApiClient } from "#shared/aws/management-api-client.ts";
import { SECRETS_BUDGET } from "#shared/aws/secrets.ts";
import { sesBudget, sesClient } from "#shared/aws/ses-client.ts";
import { SQS_BUDGET, sqsClient } from "#shared/aws/sqs-client.ts";
import { type Config, getConfig, parseConfig } from "#shared/config.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { type SilentServer, startSilentServer } from "#test/support/silent-server.ts";

const servers: SilentServer[] = [];
const silent = async () => {
  const server = await startSilentServer();
  servers.push(server);
  return server;
};

beforeAll(() => {
  // Static credentials: without them the SDK would look for some (instance metadata) first.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("AWS_REGION", "us-east-1");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.map((s) => s.close()));
});

const configFor = (
  server: SilentServer,
  extra: Record<string, string> = {},
): Config & { readonly WS_CALLBACK_URL: string } => ({
  WS_CALLBACK_URL: `${server.url}/dev`,
  ...parseConfig({
    UPSTASH_REDIS_REST_URL: server.url,
    UPSTASH_REDIS_REST_TOKEN: "token",
    AWS_ENDPOINT_URL_SQS: server.url,
    AWS_ENDPOINT_URL_SESV2: server.url,
    ...extra,
  }),
});

async function timed(call: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await call;
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

/** It timed out (not some other failure), after using every attempt, and not long after that. */
function expectGaveUpWithin(result: { error: unknown; ms: number }, budget: CallBudget): void {
  expect(result.error).toMatchObject({
    name: "TimeoutError",
    message: expect.stringContaining("requestTimeout"),
    $metadata: { attempts: budget.maxAttempts },
  });
  expect(result.ms).toBeGreaterThanOrEqual(budget.maxAttempts * budget.requestTimeoutMs - 50);
  expect(result.ms).toBeLessThan(2 * worstCaseMs(budget) + 1000);
}

describe.concurrent("a call to an endpoint that accepts and never answers", () => {
  it("SQS SendMessage rejects with a TimeoutError after its two attempts (~4.1 s)", async () => {
    const server = await silent();

    const result = await timed(
      sqsClient(configFor(server)).send(
        new SendMessageCommand({ QueueUrl: `${server.url}/000000000000/q`, MessageBody: "{}" }),
      ),
    );

    expectGaveUpWithin(result, SQS_BUDGET);
    expect(server.connections()).toBe(SQS_BUDGET.maxAttempts);
  });

  it("SES SendEmail rejects with a TimeoutError after one attempt of SES_REQUEST_TIMEOUT_MS", async () => {
    const server = await silent();
    const config = configFor(server, { SES_REQUEST_TIMEOUT_MS: "1500" });

    const result = await timed(
      sesClient(config).send(
        new SendEmailCommand({
          FromEmailAddress: "sender@ferry.test",
          Destination: { ToAddresses: ["a@example.com"] },
          Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } } },
        }),
      ),
    );

    expectGaveUpWithin(result, sesBudget(config));
    expect(server.connections()).toBe(1);
  });

  it("PostToConnection rejects with a TimeoutError after its two attempts (~6.1 s)", async () => {
    const server = await silent();

    const result = await timed(
      managementApiClient(configFor(server)).send(
        new PostToConnectionCommand({ ConnectionId: "abc=", Data: Buffer.from("{}") }),
      ),
    );

    expectGaveUpWithin(result, MANAGEMENT_API_BUDGET);
  });

  it("reading the secret at cold start (GetSecretValue) rejects with a TimeoutError (~4.1 s)", async () => {
    const server = await silent();
    vi.stubEnv("FERRY_SECRETS_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:ferry-AbCdEf");
    vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", server.url);

    const result = await timed(getConfig());

    expectGaveUpWithin(result, SECRETS_BUDGET);
    expect(server.connections()).toBe(SECRETS_BUDGET.maxAttempts);
  });

  it("Upstash Redis (REST) rejects with a TimeoutError at its per-call budget, without retrying", async () => {
    const server = await silent();
    const redis = createRedisClient({ url: server.url, token: "token", timeoutMs: 500 });

    const result = await timed(redis.get("k"));

    expect(result.error).toMatchObject({ name: "TimeoutError" });
    expect(result.ms).toBeGreaterThanOrEqual(450);
    expect(result.ms).toBeLessThan(3 * 500);
    expect(server.connections()).toBe(1);
  });
});
