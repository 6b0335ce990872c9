/**
 * Admits a WebSocket connection: the ticket is consumed, the key that asked for it must still
 * exist, and the connection is recorded under that key and in the key's set of connections, all
 * in one atomic script. Because the key check and the recording are one step, a revocation
 * either comes first (the ticket is refused, however fresh) or finds the connection in the key's
 * set and closes it (revoke-connections.ts): no ticket outlives its key's revocation.
 *
 * The ticket is read once before the script only to learn which key's set the script touches
 * (a script must name every key it uses); the script re-checks it, so a ticket used or expired
 * in between is refused as usual.
 *
 * KEYS[1] ticket · KEYS[2] the API key index (keyId → hash) · KEYS[3] connection record ·
 * KEYS[4] the key's connection set
 * ARGV[1] connection id · ARGV[2] connectedAt (ISO) · ARGV[3] record TTL (s) · ARGV[4] keyId
 * Returns {"admitted"}, {"invalid"} (unknown, expired or used) or {"revoked"}.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import { CONNECTION_TTL_SECONDS } from "./connections.ts";
import { realtimeKeys } from "./keys.ts";
import { isTicketShaped, ticketKey } from "./tickets.ts";

const ADMIT_SCRIPT = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return {'invalid'} end
local ok, holder = pcall(cjson.decode, raw)
if not ok or type(holder) ~= 'table' or holder.keyId ~= ARGV[4] then return {'invalid'} end
redis.call('DEL', KEYS[1])
if redis.call('HEXISTS', KEYS[2], ARGV[4]) == 0 then return {'revoked'} end
redis.call('SET', KEYS[3], cjson.encode({keyId = ARGV[4], connectedAt = ARGV[2]}), 'EX', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[1])
-- The set lives as long as its newest connection may.
redis.call('EXPIRE', KEYS[4], ARGV[3])
return {'admitted'}
`);

export type AdmitOutcome =
  | { readonly kind: "admitted"; readonly keyId: string }
  | { readonly kind: "invalid" | "revoked" };

function holderOf(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    const keyId = (JSON.parse(raw) as { keyId?: unknown }).keyId;
    return typeof keyId === "string" ? keyId : undefined;
  } catch {
    return undefined;
  }
}

/** Throws only when Redis cannot be reached. */
export async function admitConnection(
  redis: RedisClient,
  ticket: string | undefined,
  connectionId: string,
  connectedAt: Date,
): Promise<AdmitOutcome> {
  if (!isTicketShaped(ticket)) return { kind: "invalid" };
  const key = ticketKey(ticket);
  const keyId = holderOf(await redis.get<string>(key));
  if (!keyId) return { kind: "invalid" };
  const [kind] = (await ADMIT_SCRIPT(
    redis,
    [key, redisKeys.apiKeyIndex(), realtimeKeys.connection(connectionId), realtimeKeys.keyConnections(keyId)],
    [connectionId, connectedAt.toISOString(), String(CONNECTION_TTL_SECONDS), keyId],
  )) as [string];
  if (kind === "admitted") return { kind, keyId };
  if (kind === "invalid" || kind === "revoked") return { kind };
  throw new Error(`admit script returned an unexpected reply: ${String(kind)}`);
}
