/** WebSocket `$disconnect`: forgets the connection and its subscriptions (best effort, as in AWS). */
import { realtime } from "#shared/app/realtime.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { removeConnection } from "#shared/realtime/connections.ts";
import { wsHandler } from "#shared/realtime/ws-handler.ts";

export const handler = wsHandler(async (event) => {
  try {
    const { redis } = await getDeps(realtime.functions.wsDisconnect);
    await removeConnection(redis, event.requestContext.connectionId);
  } catch (error) {
    // Not fatal: the records expire with the connection's TTL, or go at the next push (Gone).
    logger.warn("disconnect cleanup failed", error as Error);
  }
  return { statusCode: 200 };
});
