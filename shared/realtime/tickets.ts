/**
 * WebSocket connection tickets. A browser cannot set an Authorization header on a WebSocket
 * upgrade and API keys must never travel in URLs (they end up in access logs), so a client
 * trades its key for a short-lived, single-use ticket and puts that in the URL instead.
 * Redis holds only the ticket's SHA-256; redeeming it (admit-connection.ts) deletes it in the
 * same atomic step that reads it, so two connects racing with the same ticket cannot both win.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "#shared/redis/client.ts";
import { realtimeKeys } from "./keys.ts";

export const TICKET_TTL_SECONDS = 60;

const TICKET_PREFIX = "wst_";
/** `wst_` + 32 random bytes in base64url (43 characters): 256 bits of entropy. */
const TICKET_FORMAT = /^wst_[A-Za-z0-9_-]{43}$/;

export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresInSeconds: number;
}

/** A string that cannot be a ticket is refused without a Redis round trip. */
export const isTicketShaped = (ticket: string | undefined): ticket is string =>
  ticket !== undefined && TICKET_FORMAT.test(ticket);

/** Who a ticket was issued to (redeemed by admit-connection.ts). */
export interface TicketHolder {
  readonly keyId: string;
}

const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The Redis key a ticket is stored under (exported for tests that age a ticket). */
export const ticketKey = (ticket: string): string => realtimeKeys.ticket(sha256Hex(ticket));

export async function issueTicket(
  redis: RedisClient,
  holder: TicketHolder,
  options: { ttlSeconds?: number } = {},
): Promise<IssuedTicket> {
  const ttlSeconds = options.ttlSeconds ?? TICKET_TTL_SECONDS;
  const ticket = TICKET_PREFIX + randomBytes(32).toString("base64url");
  await redis.set(ticketKey(ticket), JSON.stringify({ keyId: holder.keyId }), { ex: ttlSeconds });
  return { ticket, expiresInSeconds: ttlSeconds };
}
