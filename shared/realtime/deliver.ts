/**
 * Sends one server message to one connection through the management API (PostToConnection),
 * and classifies the outcome. A GoneException means the client is no longer connected; callers
 * then forget the connection. Anything else is logged here and reported as "failed".
 */
import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { logger } from "#shared/logger.ts";
import type { ServerMessage } from "./messages.ts";

export type DeliveryOutcome = "delivered" | "gone" | "failed";

/** By name too: a second copy of the SDK in a bundle would defeat `instanceof`. */
export const isGoneError = (error: unknown): boolean =>
  error instanceof GoneException || (error as { name?: unknown } | null)?.name === "GoneException";

export async function deliver(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
  message: ServerMessage,
): Promise<DeliveryOutcome> {
  try {
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }),
    );
    return "delivered";
  } catch (error) {
    if (isGoneError(error)) return "gone";
    logger.warn("PostToConnection failed", {
      connectionId,
      messageType: message.type,
      error: error as Error,
    });
    return "failed";
  }
}
