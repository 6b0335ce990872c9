/**
 * Redis goes down under a running system (its own private redis-server, stopped for real):
 * health says so, API-key routes answer 503 rather than guessing, and genuine payment webhooks
 * are still verified, queued and acknowledged — webhooks are never dropped because Redis is down.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { depth } from "#shared/queues/dead-letters.ts";
import { call } from "#test/support/http.ts";
import {
  paymentIntent,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";

let redis: PrivateRedis;
let rt: LocalRuntime;

beforeAll(async () => {
  redis = await startPrivateRedis();
  rt = await startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl: redis.url,
    env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, REDIS_TIMEOUT_MS: "500" },
  });
  expect((await call(rt.url, "GET", "/health")).body).toMatchObject({ status: "ok" });
  await redis.stop();
});

afterAll(async () => {
  await rt?.stop();
  await redis?.stop();
});

describe("with Redis down", () => {
  it("reports degraded health with the failing check", async () => {
    const res = await call(rt.url, "GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "degraded", checks: { redis: { status: "error" } } });
  });

  it("answers API-key routes with 503 problem+json and Retry-After, never 401", async () => {
    const res = await call(rt.url, "GET", "/v1/tasks/tsk_any", { key: rt.devApiKey });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("still verifies, queues and acknowledges a genuine webhook", async () => {
    const body = stripeEventBody("payment_intent.succeeded", paymentIntent({ amount: 1500 }));
    const signature = stripeSignatureHeader(body, STRIPE_SECRET, Math.floor(Date.now() / 1000));

    const res = await call(rt.url, "POST", "/v1/webhooks/stripe", {
      body: body.toString("utf8"),
      headers: { "content-type": "application/json", "stripe-signature": signature },
    });
    const forged = await call(rt.url, "POST", "/v1/webhooks/stripe", {
      body: body.toString("utf8"),
      headers: {
        "content-type": "application/json",
        "stripe-signature": signature.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      },
    });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    expect(forged.status).toBe(401);
    // Queued for real: the payment worker cannot apply it yet, so it waits in the queue.
    const queue = rt.sqs.queueUrls.payments;
    if (!queue) throw new Error("no payments queue");
    const sqs = new SQSClient({ region: rt.sqs.region, endpoint: rt.sqs.endpoint });
    expect(await depth(sqs, queue.url)).toBe(1);
  });
});
