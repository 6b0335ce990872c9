/**
 * WebSocket `$disconnect`: forgets the connection and its subscriptions (best effort, as in AWS).
 * Only a real DISCONNECT event counts: should a client frame ever be routed here (a frame naming
 * `{"action":"$disconnect"}`), the connection is still open and must stay registered.
 */
import { realtime } from "#shared/app/realtime.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { removeConnection } from "#shared/realtime/connections.ts";
import { wsHandler } from "#shared/realtime/ws-handler.ts";

export const handler = wsHandler(async (event) => {
  if (event.requestContext.eventType !== "DISCONNECT") {
    logger.warn("ignoring a non-DISCONNECT event on $disconnect", {
      eventType: event.requestContext.eventType,
    });
    return { statusCode: 200 };
  }
  try {
    const { redis } = await getDeps(realtime.functions.wsDisconnect);
    await removeConnection(redis, event.requestContext.connectionId);
  } catch (error) {
    // Not fatal: the records expire with the connection's TTL, or go at the next push (Gone).
    logger.warn("disconnect cleanup failed", error as Error);
  }
  return { statusCode: 200 };
});
