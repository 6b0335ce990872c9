/**
 * At most one SES call per task. Before calling SES a worker takes the task's send lease (a
 * record with a deadline); afterwards it records `sent` or, when SES certainly did not accept the
 * email, releases it. Another delivery of the same message finds:
 *   - `sent`     → the email went out: never call SES again;
 *   - a live lease → someone is sending right now: come back later;
 *   - an expired lease with no outcome → a worker died mid-call and SES may have accepted the
 *     email: it is NOT resent (a duplicate is worse than an explicit unknown; see README).
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import { TASK_TTL_SECONDS } from "#shared/tasks/store.ts";

export type LeaseOutcome =
  | { readonly kind: "acquired" }
  | { readonly kind: "sent"; readonly messageId: string }
  | { readonly kind: "busy"; readonly retryInMs: number }
  | { readonly kind: "unknown" };

// KEYS[1] lease key · ARGV: token, nowMs, leaseMs, ttlSeconds
const ACQUIRE = defineScript(`
local raw = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[2])
if raw then
  local r = cjson.decode(raw)
  if r.state == 'sent' then return {'sent', r.messageId} end
  if r.state == 'sending' then
    if now < tonumber(r.leaseUntil) then return {'busy', tostring(tonumber(r.leaseUntil) - now)} end
    return {'unknown'}
  end
end
redis.call('SET', KEYS[1], cjson.encode({state = 'sending', token = ARGV[1], leaseUntil = now + tonumber(ARGV[3])}), 'EX', tonumber(ARGV[4]))
return {'acquired'}
`);

// KEYS[1] · ARGV: token, new record JSON, ttlSeconds — only the lease holder may settle it.
const SETTLE = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.state ~= 'sending' or r.token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
`);

export async function acquireSendLease(
  redis: RedisClient,
  taskId: string,
  token: string,
  nowMs: number,
  leaseMs: number,
): Promise<LeaseOutcome> {
  const [kind, value] = (await ACQUIRE(
    redis,
    [redisKeys.emailSend(taskId)],
    [token, String(nowMs), String(leaseMs), String(TASK_TTL_SECONDS)],
  )) as [string, string | undefined];
  if (kind === "sent") return { kind, messageId: value ?? "" };
  if (kind === "busy") return { kind, retryInMs: Number(value ?? 0) };
  if (kind === "unknown") return { kind };
  return { kind: "acquired" };
}

/** Records that SES accepted the email. Returns false if the lease was no longer this worker's. */
export async function recordSent(
  redis: RedisClient,
  taskId: string,
  token: string,
  messageId: string,
): Promise<boolean> {
  const record = JSON.stringify({ state: "sent", messageId });
  return (
    (await SETTLE(redis, [redisKeys.emailSend(taskId)], [token, record, String(TASK_TTL_SECONDS)])) === 1
  );
}

/** SES certainly did not accept the email: free the lease so a later attempt may send. */
export async function releaseSendLease(redis: RedisClient, taskId: string, token: string): Promise<void> {
  await SETTLE(redis, [redisKeys.emailSend(taskId)], [token, JSON.stringify({ state: "released" }), "60"]);
}
