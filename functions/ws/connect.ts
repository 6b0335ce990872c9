/**
 * WebSocket `$connect`: admits a connection only with a valid ticket (`?ticket=...` from
 * POST /v1/realtime/tickets) and records the principal it was issued to. Any non-2xx answer makes
 * API Gateway refuse the upgrade: 401 without a ticket, 403 with one that is forged, expired or
 * already used, 500 when Redis cannot be reached.
 */
import { realtime } from "#shared/app/realtime.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { saveConnection } from "#shared/realtime/connections.ts";
import { redeemTicket } from "#shared/realtime/tickets.ts";
import { wsHandler } from "#shared/realtime/ws-handler.ts";

const refuse = (statusCode: number, message: string) => ({ statusCode, body: JSON.stringify({ message }) });

export const handler = wsHandler(async (event) => {
  const { connectionId, connectedAt } = event.requestContext;
  const ticket = event.queryStringParameters?.ticket;
  if (!ticket) return refuse(401, "Connect with ?ticket=<ticket> from POST /v1/realtime/tickets.");
  try {
    const { redis } = await getDeps(realtime.functions.wsConnect);
    const holder = await redeemTicket(redis, ticket);
    if (!holder) {
      logger.info("connection refused: ticket invalid, expired or already used");
      return refuse(403, "The ticket is invalid, expired or already used; request a new one.");
    }
    await saveConnection(redis, connectionId, {
      keyId: holder.keyId,
      connectedAt: new Date(connectedAt || Date.now()).toISOString(),
    });
    logger.debug("connection admitted", { keyId: holder.keyId });
    return { statusCode: 200 };
  } catch (error) {
    logger.error("connect failed", error as Error);
    return refuse(500, "Internal server error");
  }
});
