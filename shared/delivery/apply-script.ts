/**
 * Applies one SES event atomically, in one Lua script: the recipients' delivery records on the
 * task, the once-per-recipient counting towards the account's rates, and the suppression list.
 *
 * Records: a recipient's new record replaces the stored one only when it is greater by
 * (rank, at, tiebreak) (shared/delivery/state.ts has the order and why it converges). Rank and
 * tiebreak are computed here from the fields, never trusted from the caller or from cjson's key
 * order. The task's version grows by one when any recipient's record changed, and not at all for
 * a duplicate or an older event, so subscribers see one push per real change.
 * Counting: HSETNX on a per-SES-message hash (`<address>:sent|bounce|complaint`) decides whether
 * this is the first time; only then is the time bucket incremented. Any order, any copies: each
 * recipient is counted once as sent and at most once per kind.
 * Suppression: HSETNX, so the first reason and time are kept (an operator's entry is not
 * overwritten by a later event).
 * A task that no longer exists (expired) still gets its recipients counted and suppressed.
 *
 * KEYS[1] task · KEYS[2] counted hash · KEYS[3] suppression hash · KEYS[4] reputation bucket
 * ARGV[1] update JSON {destination:[addr], recipients:[{address, record, countAs?}],
 *   suppress:[{address, entry}]} · ARGV[2] now ISO · ARGV[3] task ttl s · ARGV[4] bucket ttl s ·
 * ARGV[5] counted-hash ttl s.
 * Returns {task JSON or false, '1'|'0' changed, counts JSON {sent, bounced, complained},
 *   suppressed JSON [addresses newly added]}.
 */
import { defineScript } from "#shared/redis/script.ts";

export const APPLY_DELIVERY_SCRIPT = defineScript(`
local u = cjson.decode(ARGV[1])
local nowIso = ARGV[2]

local function rank(rec)
  local d = rec.detail
  if type(d) ~= 'table' then d = {} end
  if rec.state == 'sent' then return 0 end
  if rec.state == 'delayed' then return 1 end
  if rec.state == 'delivered' then return 2 end
  if rec.state == 'bounced' then
    if d.bounceType == 'transient' then return 3 end
    return 4
  end
  if rec.state == 'complained' then return 5 end
  return -1
end

local function str(v)
  if type(v) == 'string' then return v end
  return ''
end

local function tiebreak(rec)
  local d = rec.detail
  if type(d) ~= 'table' then d = {} end
  return table.concat({str(rec.state), str(d.bounceType), str(d.subType), str(d.diagnostic),
    str(d.complaintType), str(d.delayType)}, '\\31')
end

-- true when a is strictly greater than b in (rank, at, tiebreak)
local function greater(a, b)
  local ra, rb = rank(a), rank(b)
  if ra ~= rb then return ra > rb end
  local ta, tb = str(a.at), str(b.at)
  if ta ~= tb then return ta > tb end
  return tiebreak(a) > tiebreak(b)
end

local counts = {sent = 0, bounced = 0, complained = 0}
local function countOnce(address, kind, field)
  if redis.call('HSETNX', KEYS[2], address .. ':' .. kind, '1') == 1 then
    redis.call('HINCRBY', KEYS[4], field, 1)
    counts[field] = counts[field] + 1
  end
end

for _, address in ipairs(u.destination) do countOnce(address, 'sent', 'sent') end
for _, r in ipairs(u.recipients) do
  countOnce(r.address, 'sent', 'sent')
  if r.countAs == 'bounce' then countOnce(r.address, 'bounce', 'bounced') end
  if r.countAs == 'complaint' then countOnce(r.address, 'complaint', 'complained') end
end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
if counts.sent + counts.bounced + counts.complained > 0 then
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[4]))
end

local suppressed = {}
for _, s in ipairs(u.suppress) do
  if redis.call('HSETNX', KEYS[3], s.address, s.entry) == 1 then suppressed[#suppressed + 1] = s.address end
end

local raw = redis.call('GET', KEYS[1])
local stored = false
local changed = '0'
if raw then
  local task = cjson.decode(raw)
  if type(task.delivery) ~= 'table' then task.delivery = {} end
  for _, r in ipairs(u.recipients) do
    local cur = task.delivery[r.address]
    if type(cur) ~= 'table' or greater(r.record, cur) then
      task.delivery[r.address] = r.record
      changed = '1'
    end
  end
  if changed == '1' then
    task.version = (tonumber(task.version) or 0) + 1
    task.updatedAt = nowIso
    stored = cjson.encode(task)
    redis.call('SET', KEYS[1], stored, 'EX', tonumber(ARGV[3]))
  else
    stored = raw
  end
end

local suppressedJson = '[]'
if #suppressed > 0 then suppressedJson = cjson.encode(suppressed) end
return {stored, changed, cjson.encode(counts), suppressedJson}
`);
