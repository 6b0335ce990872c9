/**
 * Subscribes a connection to a task in one atomic step: the connection must exist, the task must
 * belong to the connection's principal, and the connection's subscriptions stay bounded. The
 * task is read in the same step that makes the subscription visible, so every later transition
 * is pushed to this connection (the publisher lists subscribers after writing the task): the
 * snapshot plus the pushes never miss a state.
 *
 * KEYS[1] connection record (JSON) · KEYS[2] the connection's subscription set · KEYS[3] the task's
 * subscriber set · KEYS[4] the task record
 * ARGV[1] connection id · ARGV[2] task id · ARGV[3] max subscriptions per connection
 * Returns {"subscribed", taskJson} or {code}: not_connected | task_not_found | too_many_subscriptions.
 */
import { defineScript } from "#shared/redis/script.ts";

export const SUBSCRIBE_SCRIPT = defineScript(`
local conn = redis.call('GET', KEYS[1])
if not conn then return {'not_connected'} end
local keyId = cjson.decode(conn).keyId
local raw = redis.call('GET', KEYS[4])
if not raw then return {'task_not_found'} end
local task = cjson.decode(raw)
if task.ownerKeyId ~= keyId then return {'task_not_found'} end
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {'too_many_subscriptions'}
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
-- Both sets live at least as long as the connection record may.
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[2], ttl)
  if redis.call('TTL', KEYS[3]) < ttl then redis.call('EXPIRE', KEYS[3], ttl) end
end
return {'subscribed', raw}
`);
