/**
 * WebSocket client actions (`subscribe`, `unsubscribe`, `ping`) and `$default` (malformed frames,
 * unknown actions). API Gateway does not send a Lambda's return value to the client without
 * route responses, so every reply goes out through PostToConnection, in order.
 */
import { realtime } from "#shared/app/realtime.ts";
import { managementApiClient } from "#shared/aws/management-api-client.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { handleClientFrame } from "#shared/realtime/client-actions.ts";
import { removeConnection } from "#shared/realtime/connections.ts";
import { deliver } from "#shared/realtime/deliver.ts";
import { errorMessage, type ServerMessage } from "#shared/realtime/messages.ts";
import { wsHandler } from "#shared/realtime/ws-handler.ts";

export const handler = wsHandler(async (event) => {
  const { connectionId } = event.requestContext;
  const { config, redis } = await getDeps(realtime.functions.wsMessage);
  let replies: ServerMessage[];
  try {
    replies = await handleClientFrame(redis, {
      connectionId,
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
    });
  } catch (error) {
    logger.error("client action failed", error as Error);
    replies = [errorMessage("internal_error", "The request could not be completed; try again.")];
  }
  const client = managementApiClient(config);
  for (const reply of replies) {
    if ((await deliver(client, connectionId, reply)) === "gone") {
      await removeConnection(redis, connectionId).catch((error: unknown) =>
        logger.warn("removing a gone connection failed", error as Error),
      );
      break;
    }
  }
  return { statusCode: 200 };
});
