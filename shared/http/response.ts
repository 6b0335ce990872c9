/**
 * The outermost middleware: turns the handler's result or any error into the API Gateway
 * response, adding the headers other middlewares collected (x-request-id, rate-limit headers).
 * Registered first so its `after`/`onError` run last.
 */

import { ConfigError } from "#shared/config.ts";
import { logger } from "#shared/logger.ts";
import type { FerryContext, HttpMiddleware } from "./context.ts";
import { toHttpError } from "./error-table.ts";
import { HttpError } from "./errors.ts";
import { problemResponse } from "./problem-response.ts";

type Ctx = FerryContext | (FerryContext & { ferry?: undefined });

function collectedHeaders(context: Ctx): Record<string, string> {
  return context.ferry?.responseHeaders ?? { "x-request-id": context.awsRequestId };
}

export function responseFinalizer(): HttpMiddleware {
  return {
    name: "ferry-response",
    after: (request) => {
      const response = request.response ?? { statusCode: 204 };
      request.response = {
        ...response,
        headers: { ...collectedHeaders(request.context), ...response.headers },
      };
    },
    onError: (request) => {
      const error = toHttpError(request.error);
      if (request.error instanceof ConfigError) {
        // Already logged and counted (ConfigurationIncomplete) where it was found: shared/deps.ts.
      } else if (error instanceof HttpError && error.status < 500) {
        logger.info("request rejected", { status: error.status, type: error.type, detail: error.detail });
      } else {
        // The cause, not its HTTP face: the log keeps what the caller never sees.
        const cause = request.error;
        logger.error("request failed", cause instanceof Error ? cause : String(cause));
      }
      const problem = problemResponse(error, request.event.rawPath);
      request.response = {
        ...problem,
        headers: { ...collectedHeaders(request.context), ...problem.headers },
      };
    },
  };
}
