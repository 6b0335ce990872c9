/**
 * Reading the scripts' replies (script.ts): each policy's row, the prefetched hash values. A reply
 * of any other shape is an outage, never a decision (RateLimiterUnavailableError).
 */
import type { HashFieldsRequest } from "#shared/redis/hash-prefetch.ts";
import { RateLimiterUnavailableError } from "./limiter-types.ts";
import { REPLY_FIELDS_PER_POLICY } from "./script.ts";

/** One policy's part of a script reply. */
export interface Row {
  readonly dUs: number;
  readonly fits: boolean;
  readonly intervalUs: number;
  readonly capacity: number;
}

export const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

export function rowsOf(reply: readonly unknown[], offset: number, count: number): Row[] {
  if (reply.length !== offset + count * REPLY_FIELDS_PER_POLICY) throw badReply(reply);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const [dUs, fits, intervalUs, capacity] = reply.slice(
      offset + i * REPLY_FIELDS_PER_POLICY,
      offset + (i + 1) * REPLY_FIELDS_PER_POLICY,
    );
    if (!isInteger(dUs) || !isInteger(fits) || !isInteger(intervalUs) || !isInteger(capacity)) {
      throw badReply(reply);
    }
    rows.push({ dUs, fits: fits === 1, intervalUs, capacity });
  }
  return rows;
}

/**
 * Lua's unpack() of the fields fails somewhere past ~8000 values; prefetches are a request's few
 * recipients, so a bigger one is a caller's bug, refused before anything is sent.
 */
export const MAX_PREFETCH_FIELDS = 1000;

/** The prefetched values after the policies' rows: one per field, a string or null. */
export function prefetchedValues(
  reply: readonly unknown[],
  offset: number,
  request: HashFieldsRequest,
): (string | null)[] {
  const values = reply.slice(offset);
  if (values.length !== request.fields.length) throw badReply(reply);
  return values.map((v) => {
    if (v === null || v === undefined) return null;
    if (typeof v !== "string") throw badReply(reply);
    return v;
  });
}

export const badReply = (reply: unknown) =>
  new RateLimiterUnavailableError("error", `unexpected script reply: ${JSON.stringify(reply)}`);
