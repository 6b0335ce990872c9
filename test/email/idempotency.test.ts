import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "#shared/idempotency/fingerprint.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from "#shared/idempotency/store.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

describe("Idempotency-Key records", () => {
  it("fingerprints parameters, not key order", () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });

  it("claims once; a concurrent claim is in flight; completion replays; another body mismatches", async () => {
    const scope = `key_${randomUUID()}`;
    const claims = await Promise.all([1, 2, 3].map(() => claimIdempotencyKey(t.redis, scope, "k1", "fp")));
    const winner = claims.find((c) => c.kind === "claimed");
    expect(claims.filter((c) => c.kind === "in_flight")).toHaveLength(2);
    if (winner?.kind !== "claimed") throw new Error("no claim won");
    await completeIdempotencyKey(t.redis, winner.key, "fp", { status: 202, body: { taskId: "t1" } });
    expect(await claimIdempotencyKey(t.redis, scope, "k1", "fp")).toEqual({
      kind: "replay",
      response: { status: 202, body: { taskId: "t1" } },
    });
    expect(await claimIdempotencyKey(t.redis, scope, "k1", "other")).toEqual({ kind: "mismatch" });
    expect(await t.redis.command(["ttl", winner.key])).toBeGreaterThan(23 * 3600);
  });

  it("scopes keys per API key and frees a released claim", async () => {
    const a = await claimIdempotencyKey(t.redis, `key_${randomUUID()}`, "same", "fp");
    const b = await claimIdempotencyKey(t.redis, `key_${randomUUID()}`, "same", "fp");
    expect([a.kind, b.kind]).toEqual(["claimed", "claimed"]);
    if (a.kind !== "claimed") throw new Error("unreachable");
    await releaseIdempotencyKey(t.redis, a.key);
    expect((await t.redis.exists(a.key)) === 0).toBe(true);
  });
});
