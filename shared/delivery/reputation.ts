/**
 * The account's bounce and complaint rates over a sliding window, as AWS judges an SES account
 * (it reviews an account at a 5 % bounce rate and a 0.1 % complaint rate; both rates are per
 * recipient: hard bounces and complaints over emails sent). The events worker counts, once per
 * recipient, each recipient sent to, each permanent bounce and each complaint into time buckets
 * (a Redis hash per bucket, expiring after the window); the rate is the sum of the buckets inside
 * the window. Buckets are window/60 wide (at least a minute), so the window slides in 60 steps and
 * a read is one script over at most 61 keys.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";

export interface ReputationSettings {
  /** REPUTATION_WINDOW_SECONDS. */
  readonly windowSeconds: number;
}

export interface ReputationRates {
  readonly windowSeconds: number;
  readonly sent: number;
  readonly bounced: number;
  readonly complained: number;
  /** bounced / sent (0 when nothing was sent). */
  readonly bounceRate: number;
  /** complained / sent (0 when nothing was sent). */
  readonly complaintRate: number;
}

const BUCKETS_PER_WINDOW = 60;

export function bucketMs(windowSeconds: number): number {
  return Math.max(60_000, Math.floor((windowSeconds * 1000) / BUCKETS_PER_WINDOW));
}

/** The bucket an instant falls in (its start, ms), and how long that bucket must live (s). */
export function bucketOf(nowMs: number, windowSeconds: number): { startMs: number; ttlSeconds: number } {
  const size = bucketMs(windowSeconds);
  const startMs = Math.floor(nowMs / size) * size;
  return { startMs, ttlSeconds: Math.ceil((windowSeconds * 1000 + size) / 1000) };
}

/** The bucket starts inside the window ending at `nowMs` (the current, partial one included). */
export function bucketsInWindow(nowMs: number, windowSeconds: number): number[] {
  const size = bucketMs(windowSeconds);
  const newest = Math.floor(nowMs / size) * size;
  const oldestAllowed = nowMs - windowSeconds * 1000;
  const starts: number[] = [];
  for (let start = newest; start + size > oldestAllowed; start -= size) starts.push(start);
  return starts;
}

export function ratesOf(
  counts: { sent: number; bounced: number; complained: number },
  windowSeconds: number,
): ReputationRates {
  const { sent, bounced, complained } = counts;
  return {
    windowSeconds,
    sent,
    bounced,
    complained,
    bounceRate: sent > 0 ? bounced / sent : 0,
    complaintRate: sent > 0 ? complained / sent : 0,
  };
}

// KEYS: bucket hashes. Returns {sent, bounced, complained} summed.
const SUM_BUCKETS = defineScript(`
local sent, bounced, complained = 0, 0, 0
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'sent', 'bounced', 'complained')
  sent = sent + (tonumber(v[1]) or 0)
  bounced = bounced + (tonumber(v[2]) or 0)
  complained = complained + (tonumber(v[3]) or 0)
end
return {sent, bounced, complained}
`);

export async function readReputation(
  redis: RedisClient,
  settings: ReputationSettings,
  nowMs: number,
): Promise<ReputationRates> {
  const keys = bucketsInWindow(nowMs, settings.windowSeconds).map((s) => redisKeys.reputationBucket(s));
  const [sent, bounced, complained] = (await SUM_BUCKETS(redis, keys, [])) as [number, number, number];
  return ratesOf(
    { sent: Number(sent), bounced: Number(bounced), complained: Number(complained) },
    settings.windowSeconds,
  );
}

export interface ReputationLimits {
  /** REPUTATION_MAX_BOUNCE_RATE: a fraction (0.04 = 4 %). */
  readonly maxBounceRate: number;
  /** REPUTATION_MAX_COMPLAINT_RATE: a fraction (0.0008 = 0.08 %). */
  readonly maxComplaintRate: number;
  /** REPUTATION_MIN_SENT: below this many recipients in the window the rates are not judged. */
  readonly minSent: number;
}

/** Which limit the rates exceed, if any (only once enough was sent for a rate to mean something). */
export function reputationProblem(rates: ReputationRates, limits: ReputationLimits): string | undefined {
  if (rates.sent < limits.minSent) return undefined;
  if (rates.complaintRate >= limits.maxComplaintRate) {
    return `complaint rate ${(rates.complaintRate * 100).toFixed(3)} % ≥ ${(limits.maxComplaintRate * 100).toFixed(3)} %`;
  }
  if (rates.bounceRate >= limits.maxBounceRate) {
    return `bounce rate ${(rates.bounceRate * 100).toFixed(2)} % ≥ ${(limits.maxBounceRate * 100).toFixed(2)} %`;
  }
  return undefined;
}
