/**
 * POST /v1/emails' suppression lookup without a round trip of its own: the route declares it
 * (httpHandler's `prefetch`), the API-key step's script reads the entries of the recipients named
 * in the raw body, and screenRecipients uses them when they answer exactly what it would ask.
 *
 * The script runs before the body is validated, so the body is read leniently here and what it
 * may ask for is bounded: `to` must be a string or a list of at most MAX_RECIPIENTS strings (the
 * schema's own limit), else nothing is read (such a body is refused with 400 anyway). Whatever
 * this reads, correctness does not depend on it: the screen falls back to its own HMGET whenever
 * the prefetch is missing (a 4xx, Redis answering without the script) or names other recipients.
 */

import { jsonOf } from "#shared/body-json.ts";
import { MAX_RECIPIENTS } from "#shared/email/request.ts";
import type { HashFields, HashFieldsRequest } from "#shared/redis/hash-prefetch.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { normalizeAddress } from "./state.ts";
import { entriesOf, type SuppressionEntry } from "./suppression.ts";

const recipientsIn = (body: unknown): unknown[] => {
  const to = typeof body === "object" && body !== null ? (body as { to?: unknown }).to : undefined;
  return typeof to === "string" ? [to] : Array.isArray(to) ? to : [];
};

/** The suppression fields of the raw body's recipients: none for a body that names none. */
export function suppressionPrefetch(rawBody: Buffer): HashFieldsRequest {
  const key = redisKeys.suppression();
  const json = jsonOf(rawBody);
  if (!json) return { key, fields: [] };
  const to = recipientsIn(json.value);
  const readable = to.length <= MAX_RECIPIENTS && to.every((address) => typeof address === "string");
  return { key, fields: readable ? (to as string[]).map(normalizeAddress) : [] };
}

/**
 * The suppressed entries among `addresses` from the prefetch, when it read exactly their
 * normalized forms in order from the suppression hash; undefined otherwise (ask Redis).
 */
export function prefetchedSuppression(
  prefetched: HashFields | undefined,
  addresses: readonly string[],
): SuppressionEntry[] | undefined {
  if (!prefetched || prefetched.key !== redisKeys.suppression()) return undefined;
  const keys = addresses.map(normalizeAddress);
  const same =
    keys.length === prefetched.fields.length && keys.every((key, i) => key === prefetched.fields[i]);
  return same ? entriesOf(keys, prefetched.values) : undefined;
}
