/**
 * POST /v1/realtime/tickets (scope realtime:connect): a single-use ticket, valid 60 s, that admits
 * one WebSocket connection for the calling key. The API key itself never goes into the URL.
 */
import { realtime } from "#shared/app/realtime.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { issueTicket } from "#shared/realtime/tickets.ts";

export const handler = httpHandler(realtime.functions.createRealtimeTicket, {
  handle: async ({ ferry, config }) => {
    const principal = ferry.principal;
    // The manifest route requires an API key, so the auth middleware has set the principal.
    if (!principal) throw new Error("create-realtime-ticket: no principal on an apiKey route");
    const { ticket, expiresInSeconds } = await issueTicket(ferry.redis, { keyId: principal.keyId });
    const url = new URL(config.WS_PUBLIC_URL);
    url.searchParams.set("ticket", ticket);
    return {
      status: 201,
      body: { ticket, url: url.toString(), expiresInSeconds },
      // A ticket is a credential: no cache may keep it.
      headers: { "cache-control": "no-store" },
    };
  },
});
