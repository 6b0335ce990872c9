/**
 * The rate-limit decision, run atomically inside Redis in one round trip: a GCRA-style
 * continuous token bucket (the algorithm of redis-cell, which cannot be loaded on Upstash).
 *
 * Each (policy, subject) key holds ONE integer: the theoretical arrival time (TAT) in
 * microseconds, i.e. the time at which the bucket is full again. No key means a full bucket.
 * With emission interval I (µs per unit) and tolerance τ = capacity × I, a request of cost c is
 * admitted when max(TAT, now) + c·I − now ≤ τ; admitting writes the new TAT with PX = TAT − now,
 * so a key exists exactly while its bucket is not full and every written key expires.
 * Microseconds keep fractional intervals exact enough (1e6 / 3 µs, not 1000 / 3 ms) while every
 * value stays an integer far below 2^53.
 *
 * Several policies are decided together: every key is read first (one MGET), and either every
 * consuming policy admits and all are written, or nothing is written (all or nothing).
 *
 * Clock: `now` is the caller's clock, passed in (so tests can simulate time and Upstash, which
 * asks for deterministic scripts, never sees TIME). A stored TAT tells the script where a
 * caller's clock should be: a live key was written by a caller whose now was within
 * [TAT − τ, TAT). A caller more than `slack` outside that window (its clock runs ahead of, or
 * behind, the writer's) is not trusted: it is denied as if the bucket were empty and writes
 * nothing, so a fast clock can neither push the stored value ahead nor refill the bucket early.
 * Within the slack it is ordinary GCRA, and TAT never moves backwards (max(TAT, now)).
 * A fast caller that finds no key can only write its own cost (the key lives c·I ms), so it can
 * hold up others for at most that long.
 *
 * KEYS[i]   the bucket of policy i.
 * ARGV[1]   caller's now, integer ms.      ARGV[2] clock slack, integer ms.
 * ARGV[3i..] per policy i (i from 1): interval µs, capacity units, cost units
 *           (cost > 0 consumes, 0 peeks with refill applied, < 0 refunds, never beyond capacity).
 * Returns   {admitted (1|0), d_1, ..., d_n} where d_i = TAT_i − now in µs after the decision
 *           (before it when nothing was written): everything else is derived from it.
 */
import { createHash } from "node:crypto";

export const GCRA_SCRIPT = `
local now = tonumber(ARGV[1]) * 1000
local slack = tonumber(ARGV[2]) * 1000
local stored = redis.call('MGET', unpack(KEYS))
local admitted = 1
local before, after, writes = {}, {}, {}
for i = 1, #KEYS do
  local o = 3 * i
  local interval = tonumber(ARGV[o])
  local tau = tonumber(ARGV[o + 1]) * interval
  local cost = tonumber(ARGV[o + 2])
  local s = tonumber(stored[i])
  local tat = now
  if s and s > now then tat = s end
  if s and (now > s + slack or now < s - tau - slack) then
    before[i], after[i] = tau, tau
    if cost > 0 then admitted = 0 end
  elseif cost > 0 then
    local new = tat + cost * interval
    before[i] = tat - now
    after[i] = new - now
    if new - now > tau then admitted = 0 else writes[#writes + 1] = {KEYS[i], new} end
  elseif cost < 0 then
    before[i] = tat - now
    if s then
      local new = s + cost * interval
      if new <= now then
        after[i] = 0
        writes[#writes + 1] = {KEYS[i], false}
      else
        after[i] = new - now
        writes[#writes + 1] = {KEYS[i], new}
      end
    else
      after[i] = 0
    end
  else
    before[i], after[i] = tat - now, tat - now
  end
end
local out = {admitted}
if admitted == 1 then
  for _, w in ipairs(writes) do
    if w[2] then
      redis.call('SET', w[1], string.format('%d', w[2]), 'PX', string.format('%d', math.ceil((w[2] - now) / 1000)))
    else
      redis.call('DEL', w[1])
    end
  end
  for i = 1, #KEYS do out[i + 1] = after[i] end
else
  for i = 1, #KEYS do out[i + 1] = before[i] end
end
return out
`;

export interface LuaScript {
  readonly source: string;
  /** SHA-1 of the source, for EVALSHA. */
  readonly sha: string;
}

/** A script in two forms: Upstash's key-locking one, and the plain one open-source Redis accepts. */
export interface ScriptVariants {
  /**
   * Upstash runs a script under a global lock (nothing else runs meanwhile) unless its shebang
   * asks to lock only the keys in KEYS, which ours touch exclusively. Open-source Redis rejects
   * that flag before running anything, so the limiter falls back to `plain` once it sees that.
   */
  readonly keyLocking: LuaScript;
  readonly plain: LuaScript;
}

const KEY_LOCKING_SHEBANG = "#!lua flags=allow-key-locking\n";

function variants(source: string): ScriptVariants {
  const script = (text: string): LuaScript => ({
    source: text,
    sha: createHash("sha1").update(text).digest("hex"),
  });
  return { keyLocking: script(KEY_LOCKING_SHEBANG + source), plain: script(source) };
}

export const GCRA = variants(GCRA_SCRIPT);

/** Deletes exactly the keys given: resetting a subject never matches a pattern. */
export const DELETE_KEYS = variants("return redis.call('DEL', unpack(KEYS))");
