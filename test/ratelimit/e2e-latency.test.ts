/**
 * Rate limiting through the local runtime with Redis 60 ms away (FERRY_LOCAL_LATENCY_MS, read by
 * the runtime for its Upstash proxy) and a free-tier emails limit of 5 recipients per minute:
 * the real handlers, their real validation, and the limits a client meets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { redisOf } from "#test/support/upstash.ts";
import { recipients, sendEmail } from "./support/emails.ts";

let rt: LocalRuntime;
const newKey = async () => {
  const redis = redisOf(rt, 5000);
  return (await createApiKey(redis, { name: "free tier", scopes: ["emails:send", "tasks:read"] })).secret;
};
const leftOn = (headers: Headers, policy: string) =>
  Number(new RegExp(`"${policy}";r=(\\d+)`).exec(headers.get("ratelimit") ?? "")?.[1]);

beforeAll(async () => {
  rt = await startTestRuntime({
    FERRY_LOCAL_LATENCY_MS: "60",
    RATE_LIMITS: JSON.stringify({
      api: { capacity: 1000, refillPerSecond: 100 },
      emails: { capacity: 5, refillPerSecond: 5 / 60 },
    }),
  });
});
afterAll(() => rt?.stop());

describe("rate limits with Redis 60 ms away and a small emails capacity", () => {
  it("starts, and accepts an email instead of answering 503", async () => {
    // Act
    const res = await sendEmail(rt.url, await newKey(), recipients(2));

    // Assess
    expect(res.status).toBe(202);
    expect(res.headers.get("ratelimit-policy")).toBe('"api";q=1000;w=10, "emails";q=5;w=60');
  });

  it("answers 422 for more recipients than the capacity, and charges an invalid request nothing on emails", async () => {
    // Prepare
    const key = await newKey();

    // Act
    const tooMany = await sendEmail(rt.url, key, recipients(6));
    const invalid = await sendEmail(rt.url, key, recipients(5, "not a domain"));
    const fits = await sendEmail(rt.url, key, recipients(5));
    const over = await sendEmail(rt.url, key, recipients(1));

    // Assess
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({ type: "https://ferry.dev/problems/cost-exceeds-capacity" });
    expect(invalid.status).toBe(400);
    expect(leftOn(invalid.headers, "emails")).toBe(5);
    expect(fits.status).toBe(202);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("12");
  });

  it("decides a concurrent burst exactly: no 503 from latency", async () => {
    // Prepare
    const key = await newKey();

    // Act: 8 single-recipient emails at once on a bucket of 5.
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => sendEmail(rt.url, key, "a@example.com")),
    );

    // Assess
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
  });
});
