/**
 * Redis keys of the realtime feature, under the project prefix. Ids are embedded verbatim and
 * never matched with a glob; tickets are stored by their SHA-256, never as the secret itself.
 */
import { PREFIX } from "#shared/redis/keys.ts";

export const realtimeKeys = {
  /** String: the principal a ticket binds, keyed by the ticket's SHA-256 (hex); single use. */
  ticket: (ticketSha256Hex: string) => `${PREFIX}ws:ticket:${ticketSha256Hex}`,
  /** String (JSON `{keyId, connectedAt}`): one open WebSocket connection and its principal. */
  connection: (connectionId: string) => `${PREFIX}ws:conn:${connectionId}`,
  /** Set: connection ids opened with one API key's tickets, so revoking the key can close them. */
  keyConnections: (keyId: string) => `${PREFIX}ws:key-conns:${keyId}`,
  /** Set: task ids one connection is subscribed to (bounded, see subscriptions.ts). */
  connectionSubscriptions: (connectionId: string) => `${PREFIX}ws:conn-subs:${connectionId}`,
  /** Set: connection ids subscribed to one task. */
  taskSubscribers: (taskId: string) => `${PREFIX}ws:subs:${taskId}`,
} as const;
