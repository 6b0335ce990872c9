/**
 * screenRecipients with and without the auth script's prefetch (suppression-prefetch.ts), against
 * the run's real redis-server through the local Upstash-REST proxy (which counts the round trips):
 * the prefetch is used only when it read exactly the validated recipients, and the screen asks
 * Redis itself otherwise, so a raw body that disagrees with validation cannot let a suppressed
 * address through. Also how the raw body is read for the prefetch.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import { RecipientsSuppressedError, screenRecipients } from "#shared/delivery/screen.ts";
import { addSuppressed } from "#shared/delivery/suppression.ts";
import { prefetchedSuppression, suppressionPrefetch } from "#shared/delivery/suppression-prefetch.ts";
import type { EmailContent } from "#shared/email/request.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import type { HashFields } from "#shared/redis/hash-prefetch.ts";
import { redisKeys } from "#shared/redis/keys.ts";

const BOUNCED = "bounced@example.com";
const OK = "ok@example.com";

let proxy: UpstashProxy;
let redis: RedisClient;

beforeAll(async () => {
  // Its own Redis database: the suppression list is one deployment-wide key.
  proxy = await startUpstashProxy({
    redisUrl: `${inject("redisUrl")}/4`,
    token: "screen-test",
    latencyMs: 0,
  });
  redis = createRedisClient({ url: proxy.url, token: proxy.token, timeoutMs: 5000 });
  await redis.del(redisKeys.suppression());
  await addSuppressed(redis, { address: BOUNCED, reason: "bounce", source: "ses-bounce" });
});

afterAll(async () => {
  await proxy.close();
});

const email = (to: string[]): EmailContent => ({ to, subject: "s", text: "t" });
const stored = async (address: string) => (await redis.hget(redisKeys.suppression(), address)) as string;

/** The outcome of a screen and the round trips it made. */
async function screened(to: string[], prefetched: HashFields | undefined) {
  const before = proxy.stats().requests;
  const outcome = await screenRecipients(redis, email(to), "skip", prefetched).catch((e: unknown) => e);
  return { outcome, roundTrips: proxy.stats().requests - before };
}

describe("screenRecipients", () => {
  it("uses a prefetch of exactly the recipients, with no round trip", async () => {
    // Prepare: what the auth script read for [OK, BOUNCED].
    const prefetched = {
      key: redisKeys.suppression(),
      fields: [OK, BOUNCED],
      values: [null, await stored(BOUNCED)],
    };

    // Act
    const { outcome, roundTrips } = await screened([OK, BOUNCED.toUpperCase()], prefetched);

    // Assess
    expect(roundTrips).toBe(0);
    expect(outcome).toMatchObject({ email: { to: [OK] }, skipped: [{ address: BOUNCED, reason: "bounce" }] });
  });

  it.each([
    ["names other recipients", ["other@example.com", "else@example.com"]],
    ["covers only some of them", [OK]],
    ["has them in another order", [BOUNCED, OK]],
  ])("asks Redis itself when the prefetch %s", async (_, fields) => {
    // Act: a prefetch that (wrongly) says nobody is suppressed.
    const { outcome, roundTrips } = await screened([OK, BOUNCED], {
      key: redisKeys.suppression(),
      fields,
      values: fields.map(() => null),
    });

    // Assess
    expect(roundTrips).toBe(1);
    expect(outcome).toMatchObject({ skipped: [{ address: BOUNCED }] });
  });

  it("asks Redis itself for a prefetch of another hash, or none", async () => {
    const other = { key: `${redisKeys.suppression()}:other`, fields: [OK, BOUNCED], values: [null, null] };
    for (const prefetched of [other, undefined]) {
      const { outcome, roundTrips } = await screened([OK, BOUNCED], prefetched);
      expect(roundTrips).toBe(1);
      expect(outcome).toMatchObject({ skipped: [{ address: BOUNCED }] });
    }
  });

  it("refuses when every recipient is suppressed, from the prefetch too", async () => {
    const prefetched = { key: redisKeys.suppression(), fields: [BOUNCED], values: [await stored(BOUNCED)] };
    const { outcome } = await screened([BOUNCED], prefetched);
    expect(outcome).toBeInstanceOf(RecipientsSuppressedError);
    expect((outcome as RecipientsSuppressedError).allSuppressed).toBe(true);
  });
});

describe("suppressionPrefetch (the raw body, before validation)", () => {
  const fieldsOf = (body: string) => suppressionPrefetch(Buffer.from(body)).fields;

  it("reads `to` as a string or a list of strings, normalized as the list stores them", () => {
    expect(suppressionPrefetch(Buffer.from('{"to":" A@X.io "}'))).toEqual({
      key: redisKeys.suppression(),
      fields: ["a@x.io"],
    });
    expect(fieldsOf('{"to":["A@x.io","b@X.IO"],"subject":1}')).toEqual(["a@x.io", "b@x.io"]);
  });

  it("reads nothing from a body the schema will refuse for its recipients or its JSON", () => {
    const tooMany = JSON.stringify({ to: Array.from({ length: 51 }, (_, i) => `u${i}@x.io`) });
    for (const body of [tooMany, '{"to":["a@x.io",1]}', '{"to":{"0":"a@x.io"}}', "{", "null", "[1]", ""]) {
      expect(fieldsOf(body)).toEqual([]);
    }
    expect(fieldsOf(JSON.stringify({ to: Array.from({ length: 50 }, (_, i) => `u${i}@x.io`) }))).toHaveLength(
      50,
    );
  });
});

describe("prefetchedSuppression", () => {
  it("parses the prefetched entries of exactly the addresses asked for", async () => {
    const value = await stored(BOUNCED);
    const prefetched = { key: redisKeys.suppression(), fields: [OK, BOUNCED], values: [null, value] };
    expect(prefetchedSuppression(prefetched, [OK, BOUNCED])).toEqual([
      { ...JSON.parse(value), address: BOUNCED },
    ]);
    expect(prefetchedSuppression(prefetched, [OK])).toBeUndefined();
  });
});
