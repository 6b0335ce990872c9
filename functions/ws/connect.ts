/**
 * WebSocket `$connect`: admits a connection only with a valid ticket (`?ticket=...` from
 * POST /v1/realtime/tickets) and records the principal it was issued to. Any non-2xx answer makes
 * API Gateway refuse the upgrade: 401 without a ticket, 403 with one that is forged, expired or
 * already used, or whose API key was revoked since, 500 when Redis cannot be reached.
 */
import { realtime } from "#shared/app/realtime.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { admitConnection } from "#shared/realtime/admit-connection.ts";
import { wsHandler } from "#shared/realtime/ws-handler.ts";

const refuse = (statusCode: number, message: string) => ({ statusCode, body: JSON.stringify({ message }) });

export const handler = wsHandler(async (event) => {
  const { connectionId, connectedAt } = event.requestContext;
  const ticket = event.queryStringParameters?.ticket;
  if (!ticket) return refuse(401, "Connect with ?ticket=<ticket> from POST /v1/realtime/tickets.");
  try {
    const { redis } = await getDeps(realtime.functions.wsConnect);
    const outcome = await admitConnection(redis, ticket, connectionId, new Date(connectedAt || Date.now()));
    if (outcome.kind !== "admitted") {
      logger.info("connection refused", { reason: outcome.kind });
      // One answer for both: a revoked key's holder learns nothing new from it.
      return refuse(403, "The ticket is invalid, expired or already used; request a new one.");
    }
    logger.debug("connection admitted", { keyId: outcome.keyId });
    return { statusCode: 200 };
  } catch (error) {
    logger.error("connect failed", error as Error);
    return refuse(500, "Internal server error");
  }
});
