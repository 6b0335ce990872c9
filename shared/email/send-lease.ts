/**
 * At most one SES call per task. A worker first CLAIMS the task's send lease (a record with a
 * deadline), does its bookkeeping (breaker check, `processing` transition and its push), then
 * marks the lease SENDING immediately before calling SES, and afterwards records `sent` or —
 * when SES certainly did not accept the email — releases it. Another delivery finds:
 *   - `sent`                 → the email went out: never call SES again;
 *   - a live claim or send   → someone is on it right now: come back later;
 *   - an expired claim       → its holder died before calling SES: take it over and send;
 *   - an expired send        → its holder died during the SES call and SES may have accepted
 *                              the email: it is NOT resent (a duplicate is worse than an
 *                              explicit unknown; see README).
 * Settling (sent / release) is safe to repeat: only the holder's token can do it.
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

/**
 * The lease rules as Lua functions, so the email worker's fused scripts (attempt-scripts.ts)
 * apply exactly the rules the scripts below apply.
 *   ferry_claim(key, token, nowMs, leaseMs, ttl) → {'acquired'} | {'sent', messageId} |
 *     {'busy', retryInMs} | {'unknown'}
 *   ferry_settle(key, token, recordJson, ttl) → 1 when this holder settled it, else 0
 */
export const LEASE_LUA = `
local function ferry_claim(key, token, now, leaseMs, ttl)
  local raw = redis.call('GET', key)
  if raw then
    local r = cjson.decode(raw)
    if r.state == 'sent' then return {'sent', r.messageId} end
    if r.state == 'claimed' or r.state == 'sending' then
      if now < tonumber(r.leaseUntil) then return {'busy', tostring(tonumber(r.leaseUntil) - now)} end
      if r.state == 'sending' then return {'unknown'} end
    end
  end
  redis.call('SET', key, cjson.encode({state = 'claimed', token = token, leaseUntil = now + leaseMs}), 'EX', ttl)
  return {'acquired'}
end
local function ferry_settle(key, token, record, ttl)
  local raw = redis.call('GET', key)
  if not raw then return 0 end
  local r = cjson.decode(raw)
  if (r.state ~= 'sending' and r.state ~= 'claimed') or r.token ~= token then return 0 end
  redis.call('SET', key, record, 'EX', ttl)
  return 1
end
`;

// KEYS[1] lease key · ARGV: token, nowMs, leaseMs, ttlSeconds
const CLAIM = defineScript(`${LEASE_LUA}
return ferry_claim(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`);

// KEYS[1] · ARGV: token, nowMs, leaseMs, ttlSeconds. 1 when this holder may now call SES.
const BEGIN = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.state ~= 'claimed' or r.token ~= ARGV[1] then return 0 end
r.state = 'sending'
r.leaseUntil = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('SET', KEYS[1], cjson.encode(r), 'EX', tonumber(ARGV[4]))
return 1
`);

// KEYS[1] · ARGV: token, new record JSON, ttlSeconds — only the lease holder may settle it.
const SETTLE = defineScript(`${LEASE_LUA}
return ferry_settle(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
`);

/** The record `recordSent` stores: the email went out with this SES message id. */
export const sentRecord = (messageId: string): string => JSON.stringify({ state: "sent", messageId });

export async function acquireSendLease(
  redis: RedisClient,
  taskId: string,
  token: string,
  nowMs: number,
  leaseMs: number,
): Promise<LeaseOutcome> {
  const [kind, value] = (await CLAIM(
    redis,
    [redisKeys.emailSend(taskId)],
    [token, String(nowMs), String(leaseMs), String(TASK_TTL_SECONDS)],
  )) as [string, string | undefined];
  if (kind === "sent") return { kind, messageId: value ?? "" };
  if (kind === "busy") return { kind, retryInMs: Number(value ?? 0) };
  if (kind === "unknown") return { kind };
  return { kind: "acquired" };
}

/**
 * Marks the claim as "calling SES now". False when the claim is no longer this worker's (it
 * expired and another delivery took it over): then this worker must not call SES.
 */
export async function beginSend(
  redis: RedisClient,
  taskId: string,
  token: string,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  const reply = await BEGIN(
    redis,
    [redisKeys.emailSend(taskId)],
    [token, String(nowMs), String(leaseMs), String(TASK_TTL_SECONDS)],
  );
  return reply === 1;
}

/** Records that SES accepted the email. Returns false if the lease was no longer this worker's. */
export async function recordSent(
  redis: RedisClient,
  taskId: string,
  token: string,
  messageId: string,
): Promise<boolean> {
  return (
    (await SETTLE(
      redis,
      [redisKeys.emailSend(taskId)],
      [token, sentRecord(messageId), String(TASK_TTL_SECONDS)],
    )) === 1
  );
}

/** SES certainly did not accept the email (or was never called): free the lease for a later attempt. */
export async function releaseSendLease(redis: RedisClient, taskId: string, token: string): Promise<void> {
  await SETTLE(redis, [redisKeys.emailSend(taskId)], [token, JSON.stringify({ state: "released" }), "60"]);
}
