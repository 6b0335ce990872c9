/**
 * Wraps a WebSocket route handler the way httpHandler wraps HTTP ones, minus the HTTP chain:
 * logger context per invocation (keys reset) with the connection id and route key attached.
 */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyWebsocketEventV2, Context } from "aws-lambda";
import { logger } from "#shared/logger.ts";

export interface WsResult {
  readonly statusCode: number;
  readonly body?: string;
}

export function wsHandler(
  handle: (event: APIGatewayProxyWebsocketEventV2, context: Context) => Promise<WsResult>,
) {
  const core = async (event: APIGatewayProxyWebsocketEventV2, context: Context): Promise<WsResult> => {
    logger.appendKeys({
      connectionId: event.requestContext.connectionId,
      routeKey: event.requestContext.routeKey,
    });
    return handle(event, context);
  };
  return middy<APIGatewayProxyWebsocketEventV2, WsResult>(core).use(
    injectLambdaContext(logger, { resetKeys: true }),
  );
}
