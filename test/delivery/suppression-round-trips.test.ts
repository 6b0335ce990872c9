/**
 * POST /v1/emails' Redis round trips through the local runtime, counted at its Upstash proxy:
 * the API-key + rate-limit script also reads the recipients' suppression entries, so an accepted
 * email costs two (that script and the task record) and a suppressed one is refused after one.
 * Hostile bodies (a huge `to`, entries that are not strings, bad JSON) are refused as before and
 * authentication is still decided for them. The queue workers are a no-op, so their traffic is
 * not counted (as in bench/ratelimit-routes.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalManifest, LocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";
import { addSuppressed } from "#shared/delivery/suppression.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { newKey, type TestKey } from "#test/realtime/support/runtime.ts";
import { bundledManifest } from "#test/support/bundled-manifest.ts";
import { call } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

const BOUNCED = "bounced@example.com";

let rt: LocalRuntime;
let redis: RedisClient;
let key: TestKey;

/** The app (or its bundles) with every queue worker replaced by a no-op. */
function withNoopWorkers(): LocalManifest {
  const base: LocalManifest = process.env.FERRY_TEST_BUNDLES
    ? bundledManifest(process.env.FERRY_TEST_BUNDLES)
    : manifest;
  const workers = Object.fromEntries(
    Object.values(base.queues).map((q) => [
      q.worker,
      { ...base.functions[q.worker], entry: "bench/noop-worker.ts" },
    ]),
  );
  return { ...base, functions: { ...base.functions, ...workers } } as LocalManifest;
}

beforeAll(async () => {
  // Its own Redis database: the suppression list is deployment-wide.
  rt = await startTestRuntime({}, { db: 5, manifest: withNoopWorkers() });
  redis = createRedisClient({ url: rt.upstash.url, token: rt.upstash.token, timeoutMs: 5000 });
  key = await newKey(redis, ["emails:send", "tasks:read"]);
  await redis.del(redisKeys.suppression());
  await addSuppressed(redis, { address: BOUNCED, reason: "bounce", source: "ses-bounce" });
  // Warm: createEmail's sandbox, its connections and Redis's script cache (a first EVALSHA of
  // each script is refused with NOSCRIPT and sent again as EVAL: two round trips, once).
  await send({ to: "warm@example.com" });
  await send({ to: "warm@example.com" }, { "idempotency-key": "warm" });
  await call(rt.url, "POST", "/v1/emails", { key: key.secret, body: "{}", contract: false });
}, 60_000);

afterAll(async () => {
  await rt?.stop();
});

type Accepted = { taskId: string; skipped?: { address: string }[] };

function send(json: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call<Accepted>(rt.url, "POST", "/v1/emails", {
    key: key.secret,
    json: { subject: "round trips", text: "t", ...json },
    headers,
  });
}

/** The response and the Redis round trips it cost. */
async function counted<T>(request: () => Promise<T>): Promise<{ response: T; roundTrips: number }> {
  const before = rt.upstashStats().requests;
  const response = await request();
  return { response, roundTrips: rt.upstashStats().requests - before };
}

describe("POST /v1/emails round trips", () => {
  it("costs 2: the auth script, which also screens the recipients, and the task record", async () => {
    for (const to of ["one@example.com", ["a@example.com", "b@example.com", "A@Example.com"]]) {
      const { response, roundTrips } = await counted(() => send({ to }));
      expect(response.status).toBe(202);
      expect(roundTrips).toBe(2);
    }
  });

  it("refuses a suppressed recipient, however it is spelt, after the one round trip", async () => {
    const { response, roundTrips } = await counted(() =>
      send({ to: ["ok@example.com", BOUNCED.toUpperCase()] }),
    );
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ type: "https://ferry.dev/problems/recipient-suppressed" });
    expect(JSON.stringify(response.body)).toContain(BOUNCED);
    expect(roundTrips).toBe(1);
  });

  it('with suppressed: "skip", queues the others and reports the skipped, in 2', async () => {
    const { response, roundTrips } = await counted(() =>
      send({ to: [BOUNCED, "ok@example.com"], suppressed: "skip" }),
    );
    expect(response.status).toBe(202);
    expect(response.body.skipped?.map((s) => s.address)).toEqual([BOUNCED]);
    expect(roundTrips).toBe(2);
  });

  it("with an Idempotency-Key costs 4: auth + screen, claim, task record, stored response", async () => {
    const { response, roundTrips } = await counted(() =>
      send({ to: "idem@example.com" }, { "idempotency-key": `round-trips-${Date.now()}` }),
    );
    expect(response.status).toBe(202);
    expect(roundTrips).toBe(4);
  });
});

describe("hostile bodies", () => {
  const raw = (body: string, secret = key.secret) =>
    call(rt.url, "POST", "/v1/emails", {
      key: secret,
      body,
      headers: { "content-type": "application/json" },
      contract: false,
    });
  const huge = JSON.stringify({
    to: Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com`),
    subject: "s",
    text: "t",
  });
  const hostile: [string, string, number, string][] = [
    ["10,000 recipients", huge, 400, "at most 50 addresses per request (got 10000)"],
    [
      "recipients that are not strings",
      '{"to":[1,{"a":2},null,["x@y.z"]],"subject":"s","text":"t"}',
      400,
      "to",
    ],
    ["a `to` object", '{"to":{"length":3},"subject":"s","text":"t"}', 400, "to"],
    ["invalid JSON", '{"to": ["a@example.com"', 400, "not valid JSON"],
    ["a JSON array", '[{"to":"a@example.com"}]', 400, ""],
    ["JSON null", "null", 400, ""],
  ];

  it.each(hostile)("%s: the same 4xx, after one round trip", async (_, body, status, detail) => {
    const { response, roundTrips } = await counted(() => raw(body));
    expect(response.status).toBe(status);
    expect(JSON.stringify(response.body)).toContain(detail);
    expect(roundTrips).toBe(1);
  });

  it.each(hostile)("%s, with an unknown key: still 401", async (_, body) => {
    const response = await raw(body, "fry_not-a-key");
    expect(response.status).toBe(401);
  });
});
