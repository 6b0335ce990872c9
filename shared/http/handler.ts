/**
 * Builds an HTTP Lambda handler with Ferry's middy chain:
 *   response (problem+json, collected headers) → logger context → request state (route, ids,
 *   deps, body limit) → API-key auth → rate limit (the route's manifest policies) → JSON body +
 *   zod → your function.
 * The route's auth and rate-limit policies come from the function's declaration (shared/app/),
 * found by routeKey, so a handler file never restates them.
 */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type * as z from "zod/mini";
import type { FunctionConfig } from "#shared/app/function-config.ts";
import type { FunctionSpec } from "#shared/app/types.ts";
import { logger } from "#shared/logger.ts";
import { apiKeyAuth, type RoutePrefetch } from "./api-key-auth.ts";
import type { FerryContext, FerryRequestState } from "./context.ts";
import { parseJsonBody, parseWith } from "./json-body.ts";
import { rateLimitMiddleware } from "./rate-limit.ts";
import { requestState } from "./request-state.ts";
import { responseFinalizer } from "./response.ts";

export interface HttpResult {
  readonly status: number;
  /** Serialised as JSON unless it is a string (then sent as is with the given content-type). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpInput<B, P, S extends FunctionSpec = FunctionSpec, Q = undefined> {
  readonly event: APIGatewayProxyEventV2;
  readonly ferry: FerryRequestState;
  /** The function's configuration: its needs' variables are present (checked at cold start). */
  readonly config: FunctionConfig<S>;
  readonly body: B;
  readonly params: P;
  readonly query: Q;
}

export interface HttpHandlerOptions<
  S extends FunctionSpec,
  BS extends z.ZodMiniType | undefined,
  PS extends z.ZodMiniType | undefined,
  QS extends z.ZodMiniType | undefined = undefined,
> {
  /** Schema of the JSON body; omit for routes that read the raw body or none. */
  readonly body?: BS;
  /** Schema of the path parameters. */
  readonly params?: PS;
  /** Schema of the query string parameters (a repeated name arrives comma-joined, as API Gateway v2 sends it). */
  readonly query?: QS;
  /**
   * Hash fields the handler will read, taken from the raw body and read by the API-key step's
   * script in its round trip (found on `ferry.prefetched` when it could). apiKey routes only.
   */
  readonly prefetch?: RoutePrefetch;
  readonly handle: (
    input: HttpInput<
      BS extends z.ZodMiniType ? z.infer<BS> : undefined,
      PS extends z.ZodMiniType ? z.infer<PS> : undefined,
      S,
      QS extends z.ZodMiniType ? z.infer<QS> : undefined
    >,
  ) => Promise<HttpResult>;
}

function toResponse(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  const isText = typeof result.body === "string";
  return {
    statusCode: result.status,
    headers: {
      ...(result.body === undefined
        ? {}
        : { "content-type": isText ? "text/plain; charset=utf-8" : "application/json" }),
      ...result.headers,
    },
    ...(result.body === undefined
      ? {}
      : { body: isText ? (result.body as string) : JSON.stringify(result.body) }),
  };
}

/** `spec` is the function's declaration in its feature's slice (shared/app/<feature>.ts). */
export function httpHandler<
  S extends FunctionSpec,
  BS extends z.ZodMiniType | undefined = undefined,
  PS extends z.ZodMiniType | undefined = undefined,
  QS extends z.ZodMiniType | undefined = undefined,
>(spec: S, options: HttpHandlerOptions<S, BS, PS, QS>) {
  const core = async (
    event: APIGatewayProxyEventV2,
    context: FerryContext,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const { ferry } = context;
    const body = options.body
      ? parseJsonBody(ferry.rawBody, event.headers?.["content-type"], options.body)
      : undefined;
    const params = options.params ? parseWith(options.params, event.pathParameters ?? {}) : undefined;
    const query = options.query ? parseWith(options.query, event.queryStringParameters ?? {}) : undefined;
    const result = await options.handle({
      event,
      ferry,
      config: ferry.config,
      body,
      params,
      query,
    } as Parameters<typeof options.handle>[0]);
    return toResponse(result);
  };
  return (
    middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, FerryContext>(core)
      .use(responseFinalizer())
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(requestState(spec))
      .use(apiKeyAuth(options.prefetch ? { prefetch: options.prefetch } : {}))
      // One per handler module (so per container): its denied-subject cache and counters persist.
      .use(rateLimitMiddleware())
  );
}
