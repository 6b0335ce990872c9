/**
 * The rate-limit decision, run atomically inside Redis in one round trip: a GCRA-style
 * continuous token bucket (the algorithm of redis-cell, which cannot be loaded on Upstash).
 *
 * Each (policy, subject) key holds one string `TAT:interval:capacity`: the theoretical arrival
 * time (TAT, µs: when the bucket is full again) and the parameters it was written under (emission
 * interval I in µs per unit, capacity in units). No key means a full bucket. With tolerance
 * τ = capacity × I, a request of cost c is admitted when d + c·I ≤ τ, where d = max(TAT − now, 0)
 * is the bucket's debt; admitting writes now + d + c·I with PX = d + c·I, so a key exists
 * exactly while its bucket is not full and every written key expires. Microseconds keep
 * fractional intervals exact enough (1e6 / 3 µs, not 1000 / 3 ms) while every value stays an
 * integer far below 2^53.
 *
 * Policy changes: a value written under other parameters is read as the same number of used
 * units under the current ones (d × I_now / I_then, rounded up), clamped to the current τ: a
 * bigger bucket admits at once, a smaller one is at worst empty and refills at the current rate.
 * The converted value is stored (with the current parameters) whatever the decision, so it
 * refills at the current rate from then on and the wait just reported stays the true one; this
 * is the one case where a denial writes.
 * Nothing is ever locked out by a value from an old policy, and every wait the script reports is
 * under the current policy. A value without parameters (written before they were stored) is read
 * under the current ones.
 *
 * Clock: `now` is the caller's clock, passed in (so tests can simulate time and Upstash, which
 * asks for deterministic scripts, never sees TIME). A live key was written by a caller whose now
 * was within [TAT − τ_then, TAT), τ_then from the parameters stored WITH it (so a policy change
 * is never mistaken for a skewed clock). A caller more than `slack` outside that window is not
 * trusted: it is denied as if the bucket were empty and writes nothing, so a fast clock can
 * neither push the stored value ahead nor refill the bucket early. Within the slack it is ordinary
 * GCRA, and TAT never moves backwards. A fast caller that finds no key can only write its own
 * cost (the key lives c·I), so it can hold up others for at most that long.
 *
 * Several policies are decided together: every key is read first (one MGET), and either every
 * enforced policy admits and the admitting ones are written, or nothing is written. A shadow
 * policy (enforced = 0) is decided and written like the others when it admits, but its denial
 * refuses nothing: it shows what a new limit would do before it is enforced.
 *
 * Per policy the caller passes: name, interval µs, capacity, cost (> 0 consumes, 0 peeks with
 * refill applied, < 0 refunds, never beyond capacity), enforced (1|0). The authenticating script
 * (AUTH_AND_LIMIT) may replace interval and capacity with the API key's own limits.
 * Per policy the script returns: d (µs, after the decision when this policy was written, else
 * before), fits (1|0: this policy alone admits the cost), interval and capacity it decided with.
 *
 * Both scripts carry Upstash's `#!lua flags=allow-key-locking` (lock only the keys in KEYS, which
 * are the only keys they touch). Open-source Redis refuses that flag; the local Upstash proxy
 * drops it the way Upstash reads it (infra/local/upstash/script-flags.ts), so the same script
 * runs everywhere.
 */
import { createHash } from "node:crypto";

const DECIDE = `
local function interval_of(per_second)
  local i = math.ceil(1000000 / per_second - 0.000001)
  if i < 1 then i = 1 end
  return i
end

local function decide(first_key, first_arg, n, limits)
  local out = {}
  if n == 0 then return 1, out end
  local now = tonumber(ARGV[1]) * 1000
  local slack = tonumber(ARGV[2]) * 1000
  local keys = {}
  for i = 1, n do keys[i] = KEYS[first_key + i - 1] end
  local stored = redis.call('MGET', unpack(keys))
  local admitted = 1
  local rows = {}
  for i = 1, n do
    local o = first_arg + 5 * (i - 1)
    local interval = tonumber(ARGV[o + 1])
    local capacity = tonumber(ARGV[o + 2])
    local cost = tonumber(ARGV[o + 3])
    local own = limits and limits[ARGV[o]]
    if type(own) == 'table' and type(own.capacity) == 'number' and own.capacity >= 1
        and type(own.refillPerSecond) == 'number' and own.refillPerSecond > 0 then
      capacity = math.floor(own.capacity)
      interval = interval_of(own.refillPerSecond)
    end
    local tau = capacity * interval
    local raw = stored[i]
    local d, skewed, migrate = 0, false, false
    if raw then
      local s, si, sc = string.match(raw, '^(%d+):(%d+):(%d+)$')
      if s then
        s, si, sc = tonumber(s), tonumber(si), tonumber(sc)
      else
        s, si, sc = tonumber(raw), interval, capacity
      end
      if s then
        if now > s + slack or now < s - sc * si - slack then
          skewed = true
        elseif s > now then
          d = s - now
          if si ~= interval or sc ~= capacity then
            d = math.ceil(d * interval / si)
            if d > tau then d = tau end
            migrate = true
          end
        end
      end
    end
    local fits, after, write = 1, d, nil
    if skewed then
      d, after = tau, tau
      if cost > 0 then fits = 0 end
    elseif cost > 0 then
      local new = d + cost * interval
      if new > tau then fits = 0 else after, write = new, new end
    elseif cost < 0 then
      local new = d + cost * interval
      if new > 0 then
        after, write = new, new
      else
        after = 0
        if raw then write = 0 end
      end
    end
    if fits == 0 and ARGV[o + 4] == '1' then admitted = 0 end
    rows[i] = {d, after, fits, interval, capacity, keys[i], write, migrate}
  end
  local function store(key, debt, interval, capacity)
    redis.call('SET', key, string.format('%d:%d:%d', now + debt, interval, capacity),
      'PX', string.format('%d', math.ceil(debt / 1000)))
  end
  for i = 1, n do
    local r = rows[i]
    local wrote = admitted == 1 and r[7] ~= nil
    if wrote then
      if r[7] == 0 then redis.call('DEL', r[6]) else store(r[6], r[7], r[4], r[5]) end
    elseif r[8] then
      -- Converted to the current policy: stored so, it refills at the current rate from now on,
      -- and the wait reported now stays true. (A conversion, not a consumption.)
      store(r[6], r[1], r[4], r[5])
    end
    local shown = r[1]
    if wrote then shown = r[2] end
    out[#out + 1] = shown
    out[#out + 1] = r[3]
    out[#out + 1] = r[4]
    out[#out + 1] = r[5]
  end
  return admitted, out
end
`;

/**
 * KEYS    one bucket per policy.
 * ARGV    now (ms), clock slack (ms), then 5 per policy (see above).
 * Returns {admitted, d_1, fits_1, interval_1, capacity_1, ...}.
 */
const GCRA_ENTRY = `
local admitted, out = decide(1, 3, #KEYS, nil)
table.insert(out, 1, admitted)
return out
`;

/**
 * The API-key lookup (shared by both authenticating scripts): the key's record, its scopes
 * checked against ARGV[4 .. 3 + k]. Returns the early reply for an unknown key or a missing scope,
 * else nil, the raw record and the key's own limits (or nil).
 */
const AUTHENTICATE = `
local function authenticate(k)
  local raw = redis.call('GET', KEYS[1])
  if not raw then return {0} end
  local ok, record = pcall(cjson.decode, raw)
  if not ok or type(record) ~= 'table' then return {0} end
  local have = {}
  if type(record.scopes) == 'table' then
    for _, s in ipairs(record.scopes) do have[s] = true end
  end
  for i = 1, k do
    if not have[ARGV[3 + i]] then return {1, raw} end
  end
  local limits = record.limits
  if type(limits) ~= 'table' then limits = nil end
  return nil, raw, limits
end
`;

/**
 * The API-key lookup and the limit decision in one script (one round trip per request).
 * KEYS    [1] the key's record (JSON: shared/auth/api-keys.ts; this script reads its `scopes`
 *         and `limits`), then one bucket per policy.
 * ARGV    now (ms), clock slack (ms), k, k required scopes, then 5 per policy.
 * Returns {0} no such key (or an unreadable record) · {1, record} the key lacks a required scope ·
 *         {2, record, admitted, d_1, fits_1, interval_1, capacity_1, ...} decided.
 * Nothing is consumed for an unknown key or a missing scope.
 */
const AUTH_ENTRY = `
local k = tonumber(ARGV[3])
local refused, raw, limits = authenticate(k)
if refused then return refused end
local admitted, out = decide(2, 4 + k, #KEYS - 1, limits)
table.insert(out, 1, admitted)
table.insert(out, 1, raw)
table.insert(out, 1, 2)
return out
`;

/**
 * AUTH_AND_LIMIT, plus m fields of one hash read for a later step of the request (see
 * shared/redis/hash-prefetch.ts), in the same round trip. A separate script so that the routes
 * which read nothing more pass no extra argument and run no extra command.
 * KEYS    [1] the key's record, [2] the hash, then one bucket per policy.
 * ARGV    now (ms), clock slack (ms), k, k required scopes, m, m fields, then 5 per policy.
 * Returns as AUTH_AND_LIMIT; when decided AND admitted, the m values (nil where absent) follow
 * the policies. An unknown key, a missing scope or a refusal reads nothing of the hash: a caller
 * that may not send learns nothing from it.
 */
const AUTH_PREFETCH_ENTRY = `
local k = tonumber(ARGV[3])
local refused, raw, limits = authenticate(k)
if refused then return refused end
local m = tonumber(ARGV[4 + k])
local admitted, out = decide(3, 5 + k + m, #KEYS - 2, limits)
if admitted == 1 and m > 0 then
  local values = redis.call('HMGET', KEYS[2], unpack(ARGV, 5 + k, 4 + k + m))
  for i = 1, m do out[#out + 1] = values[i] end
end
table.insert(out, 1, admitted)
table.insert(out, 1, raw)
table.insert(out, 1, 2)
return out
`;

export interface LuaScript {
  readonly source: string;
  /** SHA-1 of the source, for EVALSHA. */
  readonly sha: string;
}

/**
 * Upstash runs a script under a global lock (nothing else runs meanwhile) unless its shebang asks
 * to lock only the keys in KEYS.
 */
const KEY_LOCKING_SHEBANG = "#!lua flags=allow-key-locking\n";

function script(body: string): LuaScript {
  const source = KEY_LOCKING_SHEBANG + body;
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

export const GCRA = script(DECIDE + GCRA_ENTRY);

export const AUTH_AND_LIMIT = script(DECIDE + AUTHENTICATE + AUTH_ENTRY);

export const AUTH_LIMIT_AND_PREFETCH = script(DECIDE + AUTHENTICATE + AUTH_PREFETCH_ENTRY);

/** Deletes exactly the keys given: resetting a subject never matches a pattern. */
export const DELETE_KEYS = script("return redis.call('DEL', unpack(KEYS))");

/** Values per policy in a script's reply. */
export const REPLY_FIELDS_PER_POLICY = 4;
