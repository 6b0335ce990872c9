/**
 * The compare-and-set that applies one payment event, in one Lua script so that the dedupe check,
 * the state transition, the history append and the effect decision happen atomically.
 *
 * Why the result does not depend on arrival order: every event only adds facts to `merge`, and
 * each fact is merged with an operation that is commutative, associative and idempotent:
 *   - succeeded / fullyRefunded: logical OR;
 *   - refunds: per refund id, the largest amount reported (a refund reported twice counts once);
 *   - refundFloor: the largest running total the provider reported;
 *   - attempt (pending | authorized | failed, the state before money moved): the one with the
 *     greatest (provider timestamp, rank, event id), so a retried payment that failed and then
 *     got authorized ends authorized, whatever the arrival order;
 *   - amount+currency, email and reference: the latest by (provider timestamp, event id).
 * A timestamp the provider does not sign (`unsignedTime`, PayU) counts as equal for all of a
 * payment's events, so (rank, event id) decides: a re-posted form cannot reorder by its addedon.
 * The status is then a pure function of `merge`, ranked
 * (attempt: pending | authorized | failed) < succeeded < partially_refunded < refunded:
 * once money moved, a failure no longer counts ("failed only before success"), a refund implies
 * the money moved (so a refund before the capture still gives a paid payment), and the payment is
 * refunded when the provider says so or the refunds reach the amount.
 * Effects are decided the same way: a receipt once the payment is paid (succeeded or any refund),
 * a refund notice once it is fully refunded; each exists at most once, with a fixed task id.
 *
 * KEYS[1] payment record, KEYS[2] the event's dedupe record, KEYS[3] the payments index (a sorted
 * set of `provider:paymentId` by when Ferry first recorded the payment; GET /v1/payments).
 * ARGV[1] event JSON, ARGV[2] now (ms), ARGV[3] dedupe TTL (s), ARGV[4] effect claim (ms),
 * ARGV[5] receipt task id, ARGV[6] refund notice task id.
 * Returns JSON {duplicate, applied, statusChanged, previousStatus?, payment?, effects}.
 */
import { defineScript } from "#shared/redis/script.ts";

export const APPLY_PAYMENT_EVENT_SCRIPT = defineScript(`
local event = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
local dedupeTtl = tonumber(ARGV[3])
local claimMs = tonumber(ARGV[4])

local EFFECT_KINDS = {'receipt', 'refund_notice'}
local ATTEMPT_RANK = {pending = 0, authorized = 1, failed = 2}

-- Effects still unconfirmed are handed out: new ones at once, older ones when their claim lapsed
-- (the worker that had them presumably crashed before enqueueing).
local function dueEffects(payment, fresh)
  local out = {}
  local dirty = false
  for _, kind in ipairs(EFFECT_KINDS) do
    local effect = payment.effects[kind]
    if effect and not effect.enqueued and (fresh[kind] or now - effect.claimedAt >= claimMs) then
      effect.claimedAt = now
      dirty = true
      out[#out + 1] = {kind = kind, taskId = effect.taskId}
    end
  end
  return out, dirty
end

local raw = redis.call('GET', KEYS[1])
local payment = nil
if raw then payment = cjson.decode(raw) end

local duplicate = redis.call('EXISTS', KEYS[2]) == 1
if not duplicate and payment then
  -- The record's own history still catches a redelivery after the dedupe record expired.
  for _, seen in ipairs(payment.events) do
    if seen.id == event.eventId then
      duplicate = true
      break
    end
  end
end

if duplicate then
  local result = {duplicate = true, applied = false, statusChanged = false, effects = {}}
  if payment then
    local effects, dirty = dueEffects(payment, {})
    if dirty then redis.call('SET', KEYS[1], cjson.encode(payment)) end
    result.payment = payment
    result.previousStatus = payment.status
    result.effects = effects
  end
  return cjson.encode(result)
end

local previousStatus = nil
if payment then
  previousStatus = payment.status
else
  payment = {
    provider = event.provider, paymentId = event.paymentId, status = 'pending',
    amount = 0, currency = event.currency, refundedAmount = 0, events = {}, effects = {},
    merge = {succeeded = false, fullyRefunded = false, refundFloor = 0, refunds = {}},
  }
end
local merge = payment.merge

-- An unsigned timestamp (PayU's addedon) could be chosen by whoever re-posts a genuine form, so
-- it must not decide what wins: such events compete on their signed identity and rank alone.
local time = event.occurredAt
if event.unsignedTime then time = '' end
local order = time .. '|' .. event.eventId
if event.amount and (merge.amountKey == nil or order > merge.amountKey) then
  payment.amount = event.amount
  payment.currency = event.currency
  merge.amountKey = order
end
if event.email and (merge.emailKey == nil or order > merge.emailKey) then
  payment.email = event.email
  merge.emailKey = order
end
if event.reference and (merge.referenceKey == nil or order > merge.referenceKey) then
  payment.reference = event.reference
  merge.referenceKey = order
end

if event.kind == 'succeeded' then
  merge.succeeded = true
elseif event.kind == 'refund' then
  for _, refund in ipairs(event.refund.refunds) do
    local known = merge.refunds[refund.id]
    if known == nil or refund.amount > known then merge.refunds[refund.id] = refund.amount end
  end
  local total = event.refund.totalRefunded
  if total and total > merge.refundFloor then merge.refundFloor = total end
  if event.refund.full then merge.fullyRefunded = true end
else
  local key = time .. '|' .. ATTEMPT_RANK[event.kind] .. '|' .. event.eventId
  if merge.attemptKey == nil or key > merge.attemptKey then
    merge.attempt = event.kind
    merge.attemptKey = key
  end
end

local refunded = 0
for _, amount in pairs(merge.refunds) do refunded = refunded + amount end
if merge.refundFloor > refunded then refunded = merge.refundFloor end
local paid = merge.succeeded or merge.fullyRefunded or refunded > 0

local status
if merge.fullyRefunded or (refunded > 0 and payment.amount > 0 and refunded >= payment.amount) then
  status = 'refunded'
elseif refunded > 0 then
  status = 'partially_refunded'
elseif paid then
  status = 'succeeded'
elseif merge.attempt then
  status = merge.attempt
else
  status = 'pending'
end
payment.status = status
payment.refundedAmount = refunded

-- History sorted by (provider time, event id): the same events give the same list in any order.
local entry = {id = event.eventId, type = event.rawType, at = event.occurredAt}
local position = #payment.events + 1
for i, seen in ipairs(payment.events) do
  if seen.at > entry.at or (seen.at == entry.at and seen.id > entry.id) then
    position = i
    break
  end
end
table.insert(payment.events, position, entry)

local fresh = {}
if paid and not payment.effects.receipt then
  payment.effects.receipt = {taskId = ARGV[5], enqueued = false, claimedAt = now}
  payment.receipt = {taskId = ARGV[5]}
  fresh.receipt = true
end
if status == 'refunded' and not payment.effects.refund_notice then
  payment.effects.refund_notice = {taskId = ARGV[6], enqueued = false, claimedAt = now}
  fresh.refund_notice = true
end
local effects = dueEffects(payment, fresh)

redis.call('SET', KEYS[1], cjson.encode(payment))
redis.call('SET', KEYS[2], cjson.encode({paymentId = event.paymentId, at = now}), 'EX', dedupeTtl)
-- NX: the first event fixes the payment's place in the listing; a record written before the
-- index existed is listed from its next event on.
redis.call('ZADD', KEYS[3], 'NX', now, event.provider .. ':' .. event.paymentId)

return cjson.encode({
  duplicate = false, applied = true, statusChanged = previousStatus ~= status,
  previousStatus = previousStatus, payment = payment, effects = effects,
})
`);

/**
 * Marks an effect as enqueued, so no later delivery emits it again. Idempotent.
 * KEYS[1] payment record. ARGV[1] effect kind, ARGV[2] task id, ARGV[3] now (ms).
 * Returns 1 when the effect is (now or already) confirmed, 0 when there is no such effect.
 */
export const CONFIRM_EFFECT_SCRIPT = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local payment = cjson.decode(raw)
local effect = payment.effects[ARGV[1]]
if not effect or effect.taskId ~= ARGV[2] then return 0 end
if effect.enqueued then return 1 end
effect.enqueued = true
effect.enqueuedAt = tonumber(ARGV[3])
redis.call('SET', KEYS[1], cjson.encode(payment))
return 1
`);
