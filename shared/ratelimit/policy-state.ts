/**
 * What the GCRA script's reply means for each policy of a decision: remaining units, whether it
 * admits, and when to retry, from the bucket's theoretical arrival time (dUs) and its terms. Pure
 * arithmetic, apart from the limiter's Redis and breaker handling (limiter.ts).
 */
import type { LimitRequest, PolicyState } from "./limiter-types.ts";
import type { Row } from "./script-reply.ts";

export interface Bucket {
  readonly request: LimitRequest;
  readonly key: string;
  readonly cost: number;
  /** The configured interval (an API key's own limit may replace it inside the script). */
  readonly intervalUs: number;
  readonly shadow: boolean;
}

const ceilMs = (us: number) => Math.max(0, Math.ceil(us / 1000));

export function stateOf(bucket: Bucket, row: Row): PolicyState {
  const { dUs, fits, intervalUs, capacity } = row;
  const tauUs = capacity * intervalUs;
  const remaining = Math.min(capacity, Math.max(0, Math.floor((tauUs - dUs) / intervalUs)));
  const units = Math.max(1, bucket.cost);
  const nextAdmitMs = units > capacity ? null : ceilMs(dUs + units * intervalUs - tauUs);
  // A denial always waits at least 1 ms: retrying at the same millisecond cannot succeed.
  const retryAfterMs = fits ? 0 : nextAdmitMs === null ? null : Math.max(1, nextAdmitMs);
  return {
    policy: bucket.request.policy,
    subject: bucket.request.subject,
    cost: bucket.cost,
    capacity,
    intervalUs,
    shadow: bucket.shadow,
    remaining,
    admits: fits,
    retryAfterMs,
    nextAdmitMs,
    fullInMs: ceilMs(dUs),
  };
}

/** The longest wait among the enforced denying states; null if any of them can never admit. */
export function overallRetry(states: readonly PolicyState[]): number | null {
  let longest = 0;
  for (const s of states) {
    if (s.admits || s.shadow) continue;
    if (s.retryAfterMs === null) return null;
    longest = Math.max(longest, s.retryAfterMs);
  }
  return longest;
}
