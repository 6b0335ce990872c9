/**
 * Idempotency-Key records for POST routes, with Stripe's semantics: the first response is kept
 * for 24 h and replayed; the same key with other parameters is refused; a key whose first
 * request is still running is refused as in-flight.
 *
 * Why not Powertools idempotency: its cache persistence layer silently gives no idempotency with
 * @upstash/redis (option casing) and, up to 2.35.0, its payload validation throws on identical
 * retries (issue #5705) — exactly the case this must replay. The protocol is two small atomic
 * steps, so it lives here.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import { sha256 } from "./fingerprint.ts";

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long an in-flight claim lives if its holder dies without finishing or releasing it. */
export const IN_FLIGHT_TTL_SECONDS = 60;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Record_ =
  | { readonly state: "in_flight"; readonly fingerprint: string }
  | { readonly state: "done"; readonly fingerprint: string; readonly response: StoredResponse };

export type ClaimOutcome =
  | { readonly kind: "claimed"; readonly key: string }
  | { readonly kind: "replay"; readonly response: StoredResponse }
  | { readonly kind: "mismatch" }
  | { readonly kind: "in_flight" };

/** SET NX the in-flight claim, or return what is there, atomically and in one round trip. */
const CLAIM_SCRIPT = defineScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', tonumber(ARGV[2])) then return {'claimed'} end
return {'exists', redis.call('GET', KEYS[1])}
`);

export async function claimIdempotencyKey(
  redis: RedisClient,
  scope: string,
  idempotencyKey: string,
  requestFingerprint: string,
): Promise<ClaimOutcome> {
  const key = redisKeys.idempotency(scope, sha256(idempotencyKey));
  const claim: Record_ = { state: "in_flight", fingerprint: requestFingerprint };
  const [outcome, existing] = (await CLAIM_SCRIPT(
    redis,
    [key],
    [JSON.stringify(claim), String(IN_FLIGHT_TTL_SECONDS)],
  )) as [string, string | undefined];
  if (outcome === "claimed" || existing === undefined) return { kind: "claimed", key };
  const record = JSON.parse(existing) as Record_;
  if (record.fingerprint !== requestFingerprint) return { kind: "mismatch" };
  if (record.state === "in_flight") return { kind: "in_flight" };
  return { kind: "replay", response: record.response };
}

/** Stores the final response for replay (24 h). */
export async function completeIdempotencyKey(
  redis: RedisClient,
  key: string,
  requestFingerprint: string,
  response: StoredResponse,
): Promise<void> {
  const record: Record_ = { state: "done", fingerprint: requestFingerprint, response };
  await redis.set(key, JSON.stringify(record), { ex: IDEMPOTENCY_TTL_SECONDS });
}

/** Drops an in-flight claim after a failure, so the client's retry with the same key can run. */
export async function releaseIdempotencyKey(redis: RedisClient, key: string): Promise<void> {
  await redis.del(key);
}
