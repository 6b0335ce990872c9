/**
 * One Lua script applies a task transition atomically: read, check ordering, write, bump the
 * version. Ordering rule: a transition for attempt a in phase p is applied only if the task is
 * not terminal and (a, p) is after the stored (attempts, phase). Phases: queued 0, processing 1,
 * retrying 2, succeeded/failed 3. A `failed` task whose error code is `retries_exhausted` may be
 * restarted by a later attempt (a DLQ redrive is an explicit operator request to try again).
 *
 * The rule lives in one Lua function, TRANSITION_LUA's `ferry_transition(key, t, nowIso, ttl,
 * seedJson)`, so scripts that fuse a transition with other work (the email worker's, see
 * shared/email/attempt-scripts.ts) apply exactly the same rule. It returns the stored JSON (or
 * false when the key is missing and there is no seed) and '1'/'0' (applied?).
 *
 * TRANSITION_SCRIPT: KEYS[1] task key · ARGV[1] transition JSON · ARGV[2] now ISO · ARGV[3] ttl
 * seconds · ARGV[4] JSON of the task to create when the key is missing (the worker can run before
 * the API's own write lands), or "" to refuse. Returns the stored JSON and "1"/"0" (applied?).
 */
import { defineScript } from "#shared/redis/script.ts";

export const TRANSITION_LUA = `
local function ferry_transition(key, t, nowIso, ttl, seedJson)
  local raw = redis.call('GET', key)
  local task
  if raw then
    task = cjson.decode(raw)
  elseif seedJson ~= '' then
    task = cjson.decode(seedJson)
  else
    return false, '0'
  end
  local phase = {queued = 0, processing = 1, retrying = 2, succeeded = 3, failed = 3}
  local curAttempt = tonumber(task.attempts) or 0
  local curPhase = phase[task.status] or 0
  local restartable = task.status == 'failed' and type(task.error) == 'table' and task.error.code == 'retries_exhausted'
  local terminal = (task.status == 'succeeded' or task.status == 'failed') and not restartable
  local after = (t.attempt > curAttempt) or (t.attempt == curAttempt and phase[t.status] > curPhase)
  if terminal or not after then
    if not raw then redis.call('SET', key, cjson.encode(task), 'EX', tonumber(ttl)) end
    return cjson.encode(task), '0'
  end
  task.status = t.status
  task.attempts = t.attempt
  task.updatedAt = nowIso
  task.version = (tonumber(task.version) or 0) + 1
  task.nextAttemptAt = nil
  if t.status == 'succeeded' then
    task.result = {messageId = t.messageId}
    task.error = nil
  elseif t.status == 'failed' then
    task.error = t.error
  elseif t.status == 'processing' then
    -- A new attempt: the previous attempt's error no longer describes the task.
    task.error = nil
  elseif t.status == 'retrying' then
    task.error = t.error
    task.nextAttemptAt = t.nextAttemptAt
  end
  local stored = cjson.encode(task)
  redis.call('SET', key, stored, 'EX', tonumber(ttl))
  return stored, '1'
end
`;

export const TRANSITION_SCRIPT = defineScript(`${TRANSITION_LUA}
local stored, applied = ferry_transition(KEYS[1], cjson.decode(ARGV[1]), ARGV[2], ARGV[3], ARGV[4])
return {stored, applied}
`);
