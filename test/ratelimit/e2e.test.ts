/** Rate limiting through the local runtime: the manifest's policies on real routes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import { call } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { redisOf } from "#test/support/upstash.ts";
import { recipients, sendEmail } from "./support/emails.ts";

let rt: LocalRuntime;
const newKey = async () => {
  const redis = redisOf(rt);
  return (await createApiKey(redis, { name: "rl", scopes: ["emails:send", "tasks:read"] })).secret;
};

beforeAll(async () => {
  rt = await startTestRuntime({
    RATE_LIMITS: JSON.stringify({
      api: { capacity: 3, refillPerSecond: 0.01 },
      emails: { capacity: 50, refillPerSecond: 0.01 },
      webhooks: { capacity: 2, refillPerSecond: 0.01 },
    }),
  });
});
afterAll(() => rt?.stop());

describe("rate limits on routes", () => {
  it("answers 429 problem+json with Retry-After once a key's api bucket is empty", async () => {
    const key = await newKey();
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await call(rt.url, "GET", "/v1/tasks/tsk_x", { key }));

    const limited = await call(rt.url, "GET", "/v1/tasks/tsk_x", { key });

    expect(ok.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(ok[0]?.headers.get("ratelimit-policy")).toBe('"api";q=3;w=300');
    expect(ok.map((r) => r.headers.get("ratelimit"))).toEqual([
      '"api";r=2;t=0',
      '"api";r=1;t=0',
      '"api";r=0;t=100',
    ]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ status: 429, type: expect.stringContaining("rate-limited") });
  });

  it("keeps each key's bucket apart", async () => {
    const a = await newKey();
    const b = await newKey();
    for (let i = 0; i < 3; i++) await call(rt.url, "GET", "/v1/tasks/tsk_x", { key: a });
    expect((await call(rt.url, "GET", "/v1/tasks/tsk_x", { key: a })).status).toBe(429);
    expect((await call(rt.url, "GET", "/v1/tasks/tsk_x", { key: b })).status).toBe(404);
  });

  it("charges POST /v1/emails one unit per recipient, and a denial consumes nothing", async () => {
    const key = await newKey();

    const first = await sendEmail(rt.url, key, recipients(48));
    const second = await sendEmail(rt.url, key, recipients(4));
    const single = await sendEmail(rt.url, key, "a@example.com");

    expect(first.status).toBe(202);
    expect(first.headers.get("ratelimit")).toContain('"emails";r=2');
    expect(second.status).toBe(429);
    expect(single.status).toBe(202);
  });

  it("limits webhook routes per source IP, before the signature is even checked", async () => {
    const post = () =>
      call(rt.url, "POST", "/v1/webhooks/stripe", {
        body: "{}",
        headers: { "content-type": "application/json" },
      });

    const statuses = [(await post()).status, (await post()).status, (await post()).status];

    expect(statuses).toEqual([400, 400, 429]);
  });

  it("does not limit /health", async () => {
    const res = await call(rt.url, "GET", "/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toBeNull();
  });
});
