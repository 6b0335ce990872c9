/**
 * A circuit breaker around SES, shared by every worker container through Redis (a per-container
 * breaker would let N cold containers keep hammering a throttled account).
 *   closed     → calls go through; throttles are counted in a fixed window.
 *   open       → no calls until `openUntil`; messages go back to the queue for later.
 *   half_open  → exactly one caller (the probe) may call SES; success closes the breaker,
 *                a throttle reopens it with a doubled cooldown (capped).
 * It opens for one of two reasons, kept in the state as `reason`: `throttling` (SES throttled
 * `threshold` calls within the window) or `reputation` (the account's bounce or complaint rate
 * reached its limit with REPUTATION_PAUSE on: shared/delivery/reputation.ts). Either way sends
 * wait in the queue until the cooldown ends and one probe goes through.
 * State changes are logged by the caller; GET /health reports the state.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";

export interface BreakerSettings {
  /** The Redis key holding the state; one per deployment by default. */
  readonly key?: string;
  readonly threshold: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
}

export type BreakerDecision =
  | { readonly allow: true; readonly probe: boolean }
  | { readonly allow: false; readonly retryInMs: number };

export type BreakerState = "closed" | "open" | "half_open";
export type BreakerReason = "throttling" | "reputation";

// ferry_breaker_check(key, nowMs, probeLeaseMs, cooldownMs) → {'allow', '1' when a probe | '0'} or
// {'deny', retryInMs}. A Lua function so the email worker's fused script (attempt-scripts.ts)
// applies the same rule. While a probe is out, others are told to come back after one cooldown
// (not the probe's whole lease): a quick probe success should not leave the backlog waiting for a
// worst-case deadline.
export const BREAKER_CHECK_LUA = `
local function ferry_breaker_check(key, now, probeLeaseMs, cooldownMs)
  local raw = redis.call('GET', key)
  if not raw then return {'allow', '0'} end
  local b = cjson.decode(raw)
  if b.state == 'closed' then return {'allow', '0'} end
  if b.state == 'open' and now < tonumber(b.openUntil) then return {'deny', tostring(tonumber(b.openUntil) - now)} end
  if b.state == 'half_open' and now < tonumber(b.probeUntil) then
    return {'deny', tostring(math.min(tonumber(b.probeUntil) - now, cooldownMs))}
  end
  b.state = 'half_open'
  b.probeUntil = now + probeLeaseMs
  redis.call('SET', key, cjson.encode(b), 'PX', 86400000)
  return {'allow', '1'}
end
`;

// KEYS[1] · ARGV: nowMs, probe lease ms, cooldown ms.
const CHECK = defineScript(`${BREAKER_CHECK_LUA}
return ferry_breaker_check(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
`);

// KEYS[1] · ARGV: nowMs, threshold, windowMs, cooldownMs, maxCooldownMs. Returns the new state.
// A throttle reported while already open came from a call admitted before the breaker opened:
// it says nothing new and must not extend the cooldown. One while half-open fails the probe.
const THROTTLED = defineScript(`
local raw = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local b = raw and cjson.decode(raw) or {state = 'closed', count = 0, windowStart = now, cooldown = 0}
if b.state == 'open' then return 'open' end
local reopen = b.state == 'half_open'
if not reopen then
  if now - tonumber(b.windowStart) >= tonumber(ARGV[3]) then b.windowStart = now; b.count = 0 end
  b.count = tonumber(b.count) + 1
end
if reopen or b.count >= tonumber(ARGV[2]) then
  local prev = tonumber(b.cooldown) or 0
  local cooldown = tonumber(ARGV[4])
  if reopen and prev > 0 then cooldown = math.min(prev * 2, tonumber(ARGV[5])) end
  b.state = 'open'; b.cooldown = cooldown; b.openUntil = now + cooldown; b.count = 0; b.windowStart = now
  b.reason = 'throttling'
end
redis.call('SET', KEYS[1], cjson.encode(b), 'PX', 86400000)
return b.state
`);

// KEYS[1]. Ends an outstanding probe so the next check may start a new one.
const END_PROBE = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local b = cjson.decode(raw)
if b.state ~= 'half_open' then return 0 end
b.probeUntil = 0
redis.call('SET', KEYS[1], cjson.encode(b), 'PX', 86400000)
return 1
`);

// KEYS[1] · ARGV: nowMs, pauseMs, why. Opens (or keeps open) until now + pauseMs with reason
// 'reputation'; an opening that already lasts longer is kept. The cooldown that doubles on a failed
// probe is left as it was: a reputation pause is not a throttle.
const REPUTATION = defineScript(`
local raw = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local b = raw and cjson.decode(raw) or {state = 'closed', count = 0, windowStart = now, cooldown = 0}
local untilMs = now + tonumber(ARGV[2])
if b.state == 'open' and tonumber(b.openUntil) and tonumber(b.openUntil) >= untilMs then return 0 end
b.state = 'open'; b.openUntil = untilMs; b.reason = 'reputation'; b.why = ARGV[3]
redis.call('SET', KEYS[1], cjson.encode(b), 'PX', math.max(86400000, tonumber(ARGV[2]) * 2))
return 1
`);

export class SesCircuitBreaker {
  /** The Redis key holding the state (fused scripts touch it too). */
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    readonly settings: BreakerSettings,
  ) {
    this.key = settings.key ?? redisKeys.sesBreaker();
  }

  /** May this caller call SES now? A probe must report its outcome. */
  async check(nowMs: number, probeLeaseMs: number): Promise<BreakerDecision> {
    const [verdict, value] = (await CHECK(
      this.redis,
      [this.key],
      [String(nowMs), String(probeLeaseMs), String(this.settings.cooldownMs)],
    )) as [string, string];
    return verdict === "allow"
      ? { allow: true, probe: value === "1" }
      : { allow: false, retryInMs: Number(value) };
  }

  /** Counts a throttle; returns the resulting state (open when it tripped or a probe failed). */
  async recordThrottle(nowMs: number): Promise<BreakerState> {
    const s = this.settings;
    return (await THROTTLED(
      this.redis,
      [this.key],
      [String(nowMs), String(s.threshold), String(s.windowMs), String(s.cooldownMs), String(s.maxCooldownMs)],
    )) as BreakerState;
  }

  /**
   * The probe got no answer (network error, timeout, lost lease): let the next caller probe now
   * instead of making everyone wait for the probe's lease to run out.
   */
  async endProbe(): Promise<void> {
    await END_PROBE(this.redis, [this.key], []);
  }

  /** A successful call closes the breaker (after a probe) and clears the throttle count. */
  async recordSuccess(wasProbe: boolean): Promise<void> {
    if (wasProbe) await this.redis.del(this.key);
  }

  /**
   * Pauses sending for `pauseMs` because the account's reputation is at risk (`why` says which
   * rate); true when this call opened it or made the pause longer.
   */
  async openForReputation(nowMs: number, pauseMs: number, why: string): Promise<boolean> {
    return (await REPUTATION(this.redis, [this.key], [String(nowMs), String(pauseMs), why])) === 1;
  }

  async state(
    nowMs: number,
  ): Promise<{ state: BreakerState; openUntil?: string; reason?: BreakerReason; why?: string }> {
    const raw = await this.redis.get<string>(this.key);
    if (!raw) return { state: "closed" };
    const b = JSON.parse(raw) as {
      state: BreakerState;
      openUntil?: number;
      reason?: BreakerReason;
      why?: string;
    };
    if (b.state === "open" && b.openUntil !== undefined && b.openUntil <= nowMs)
      return { state: "half_open" };
    if (b.openUntil === undefined || b.state !== "open") return { state: b.state };
    return {
      state: b.state,
      openUntil: new Date(b.openUntil).toISOString(),
      reason: b.reason ?? "throttling",
      ...(b.why ? { why: b.why } : {}),
    };
  }
}
