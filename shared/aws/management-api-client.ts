/** The WebSocket API's @connections endpoint (WS_CALLBACK_URL), for PostToConnection pushes. */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import type { Config } from "#shared/config.ts";
import { type CallBudget, timedHttpHandler } from "./http-handler.ts";
import { oncePerContainer } from "./memo.ts";
import { traced } from "./tracer.ts";

/** A push is a courtesy to watchers: a slow one must not hold a send (worst case ~6.1 s). */
export const MANAGEMENT_API_BUDGET: CallBudget = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 3000,
  maxAttempts: 2,
};

export const managementApiClient = oncePerContainer(
  // Only functions with the websocket:manage need build it; their cold-start check ensured the URL.
  (config: Config & { readonly WS_CALLBACK_URL: string }) =>
    traced(
      new ApiGatewayManagementApiClient({
        region: config.AWS_REGION,
        endpoint: config.WS_CALLBACK_URL,
        requestHandler: timedHttpHandler(MANAGEMENT_API_BUDGET),
        maxAttempts: MANAGEMENT_API_BUDGET.maxAttempts,
      }),
    ),
);
