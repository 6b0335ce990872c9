/**
 * The email worker's Redis work for one send, in as few round trips as its safety allows (each
 * round trip to Upstash is an HTTPS request; see BENCHMARKS.md "Pipeline"):
 *   1. START  — read the task, claim the send lease, check the SES breaker, apply `processing`
 *               and list the task's subscribers, in one script;
 *   2. BEGIN  — mark the lease "sending" right before SES is called (send-lease.ts). It stays a
 *               round trip of its own on purpose: the `processing` push happens between START and
 *               BEGIN, and a worker that dies during that push must leave a claim (taken over and
 *               sent by the next delivery), not a send (reported as `delivery_unknown`).
 *   3. FINISH — record `sent`, close the breaker after a probe, apply `succeeded` and list the
 *               subscribers, in one script.
 * The rules are the same Lua functions the single-purpose scripts run (send-lease.ts,
 * circuit-breaker.ts, shared/tasks/transition-script.ts), so fusing changes no outcome.
 */
import { realtimeKeys } from "#shared/realtime/keys.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import { type StoredTask, TASK_TTL_SECONDS } from "#shared/tasks/store.ts";
import { TRANSITION_LUA } from "#shared/tasks/transition-script.ts";
import { BREAKER_CHECK_LUA, type SesCircuitBreaker } from "./circuit-breaker.ts";
import { LEASE_LUA, sentRecord } from "./send-lease.ts";

/** The subscriber list is read only when the transition took effect (nothing to push otherwise). */
const SUBSCRIBERS_LUA = `
local function ferry_subscribers_if(applied, key)
  if applied == '1' then return redis.call('SMEMBERS', key) end
  return {}
end
`;

// KEYS: task, lease, breaker, task subscribers
// ARGV: seed JSON, token, nowMs, leaseMs (also the probe's lease), ttlSeconds, nowIso, cooldownMs
// Returns {'finished'} | {'sent', messageId, attempts} | {'busy', retryInMs, attempts} |
// {'unknown', '', attempts} | {'deny', retryInMs, attempts} | {'go', probe, attempts, stored, applied, subscribers}.
// Nothing is written before the breaker lets the attempt through, except the claim, which a
// denial gives back at once (as releaseSendLease would): a held message can take it when it returns.
const START = defineScript(`${TRANSITION_LUA}${LEASE_LUA}${BREAKER_CHECK_LUA}${SUBSCRIBERS_LUA}
local raw = redis.call('GET', KEYS[1])
local current = raw and cjson.decode(raw) or cjson.decode(ARGV[1])
local restartable = current.status == 'failed' and type(current.error) == 'table' and current.error.code == 'retries_exhausted'
if current.status == 'succeeded' or (current.status == 'failed' and not restartable) then return {'finished'} end
local attempts = tonumber(current.attempts) or 0
local now = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local lease = ferry_claim(KEYS[2], ARGV[2], now, leaseMs, ttl)
if lease[1] ~= 'acquired' then return {lease[1], lease[2] or '', tostring(attempts)} end
local gate = ferry_breaker_check(KEYS[3], now, leaseMs, tonumber(ARGV[7]))
if gate[1] ~= 'allow' then
  redis.call('SET', KEYS[2], cjson.encode({state = 'released'}), 'EX', 60)
  return {'deny', gate[2], tostring(attempts)}
end
local stored, applied = ferry_transition(KEYS[1], {status = 'processing', attempt = attempts + 1}, ARGV[6], ttl, ARGV[1])
return {'go', gate[2], tostring(attempts), stored, applied, ferry_subscribers_if(applied, KEYS[4])}
`);

// KEYS: lease, task, breaker, task subscribers
// ARGV: token, sent record JSON, ttlSeconds, transition JSON, nowIso, seed JSON, '1' after a probe
// Returns {recorded 1|0, stored, applied, subscribers}. Safe to repeat: the second run finds the
// lease settled and the task terminal, and changes nothing.
const FINISH = defineScript(`${TRANSITION_LUA}${LEASE_LUA}${SUBSCRIBERS_LUA}
local ttl = tonumber(ARGV[3])
local recorded = ferry_settle(KEYS[1], ARGV[1], ARGV[2], ttl)
if ARGV[7] == '1' then redis.call('DEL', KEYS[3]) end
local stored, applied = ferry_transition(KEYS[2], cjson.decode(ARGV[4]), ARGV[5], ttl, ARGV[6])
return {recorded, stored, applied, ferry_subscribers_if(applied, KEYS[4])}
`);

export type StartOutcome =
  /** The task is already terminal: nothing to do. */
  | { readonly kind: "finished" }
  /** The lease said SES accepted it before (a crash kept the task from saying so). */
  | { readonly kind: "sent"; readonly messageId: string; readonly attempts: number }
  | { readonly kind: "busy"; readonly retryInMs: number; readonly attempts: number }
  /** A worker stopped during the SES call: the email may have gone out. */
  | { readonly kind: "unknown"; readonly attempts: number }
  /** The circuit is open; the claim has been given back already. */
  | { readonly kind: "denied"; readonly retryInMs: number; readonly attempts: number }
  /** Lease held, breaker passed, `processing` applied (or stale, `applied: false`). */
  | {
      readonly kind: "go";
      readonly probe: boolean;
      readonly attempt: number;
      readonly task: StoredTask;
      readonly applied: boolean;
      readonly subscribers: readonly string[];
    };

export interface FinishOutcome {
  /** False when the lease was no longer this worker's (as `recordSent` reports). */
  readonly recorded: boolean;
  readonly task: StoredTask | undefined;
  readonly applied: boolean;
  readonly subscribers: readonly string[];
}

export interface StartInput {
  readonly taskId: string;
  /** The task as the message describes it, used while the API's own write has not landed. */
  readonly seed: StoredTask;
  readonly token: string;
  readonly now: Date;
  readonly leaseMs: number;
  readonly breaker: SesCircuitBreaker;
}

export async function startAttempt(redis: RedisClient, input: StartInput): Promise<StartOutcome> {
  const { taskId } = input;
  const reply = (await START(
    redis,
    [
      redisKeys.task(taskId),
      redisKeys.emailSend(taskId),
      input.breaker.key,
      realtimeKeys.taskSubscribers(taskId),
    ],
    [
      JSON.stringify(input.seed),
      input.token,
      String(input.now.getTime()),
      String(input.leaseMs),
      String(TASK_TTL_SECONDS),
      input.now.toISOString(),
      String(input.breaker.settings.cooldownMs),
    ],
  )) as [string, string?, string?, string?, string?, string[]?];
  const [kind, value = "", attemptsText = "0", stored, applied, subscribers] = reply;
  const attempts = Number(attemptsText);
  switch (kind) {
    case "finished":
      return { kind };
    case "sent":
      return { kind, messageId: value, attempts };
    case "busy":
      return { kind, retryInMs: Number(value), attempts };
    case "unknown":
      return { kind, attempts };
    case "deny":
      return { kind: "denied", retryInMs: Number(value), attempts };
    case "go":
      if (!stored) throw new Error("start script applied no transition");
      return {
        kind,
        probe: value === "1",
        attempt: attempts + 1,
        task: JSON.parse(stored) as StoredTask,
        applied: applied === "1",
        subscribers: subscribers ?? [],
      };
    default:
      throw new Error(`start script returned an unexpected reply: ${String(kind)}`);
  }
}

export interface FinishInput {
  readonly taskId: string;
  readonly seed: StoredTask;
  readonly token: string;
  readonly attempt: number;
  readonly messageId: string;
  readonly now: Date;
  /** This attempt was the breaker's probe: its success closes the breaker. */
  readonly probe: boolean;
  readonly breaker: SesCircuitBreaker;
}

export async function finishSent(redis: RedisClient, input: FinishInput): Promise<FinishOutcome> {
  const { taskId } = input;
  const [recorded, stored, applied, subscribers] = (await FINISH(
    redis,
    [
      redisKeys.emailSend(taskId),
      redisKeys.task(taskId),
      input.breaker.key,
      realtimeKeys.taskSubscribers(taskId),
    ],
    [
      input.token,
      sentRecord(input.messageId),
      String(TASK_TTL_SECONDS),
      JSON.stringify({ status: "succeeded", attempt: input.attempt, messageId: input.messageId }),
      input.now.toISOString(),
      JSON.stringify(input.seed),
      input.probe ? "1" : "0",
    ],
  )) as [number, string | null, string, string[]?];
  return {
    recorded: recorded === 1,
    task: stored ? (JSON.parse(stored) as StoredTask) : undefined,
    applied: applied === "1",
    subscribers: subscribers ?? [],
  };
}
