/**
 * The local API Gateway HTTP API: turns node:http requests into payload-format 2.0 events,
 * picks the route the way API Gateway does, invokes the function, and maps its result back the
 * way API Gateway does (including its quirks, so handlers meet them here first and not in AWS):
 *   - rawPath and pathParameters arrive URL-decoded; rawQueryString stays as sent;
 *   - the `cookie` header is moved to `cookies`; repeated headers are joined with ",";
 *   - bodies are base64-encoded unless the content type is text/*, application/json,
 *     application/xml or application/javascript (so form posts arrive base64, as in AWS);
 *   - a result without `statusCode` is a 200 application/json whose body is the result;
 *   - `multiValueHeaders` in a result is ignored (payload 2.0 has none);
 *   - a function error or timeout is a 500, a call past the 30 s integration limit a 503.
 * No library plays API Gateway v2 in-process (serverless-offline and SAM need their own CLIs
 * and config), hence this file.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalLog } from "../functions/lambda-context.ts";
import type { InvokeFunction } from "../functions/load-handler.ts";
import { type GatewayIdentity, gatewayRequestId } from "./gateway-request-context.ts";
import { buildHttpEvent } from "./http-event.ts";
import {
  type GatewayResponse,
  gatewayError,
  internalServerError,
  mapHttpResult,
  sendGatewayResponse,
} from "./http-result.ts";
import { compileRoutes, type GatewayHttpRoute } from "./http-routes.ts";

// This module stays the gateway's public face: the pieces live in the files above, re-exported
// here so callers (runtime, ws-gateway, tests) import one module.
export {
  type GatewayIdentity,
  gatewayRequestId,
  gatewayTime,
  sourceIpOf,
} from "./gateway-request-context.ts";
export { buildHttpEvent, type HttpEventInput, isTextContentType } from "./http-event.ts";
export {
  type GatewayResponse,
  gatewayError,
  internalServerError,
  mapHttpResult,
  sendGatewayResponse,
} from "./http-result.ts";
export {
  type CompiledRoute,
  compileRoutes,
  type GatewayHttpRoute,
  matchRoute,
  type RouteMatch,
} from "./http-routes.ts";

/** API Gateway's request payload limit. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API's maximum integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpGatewayOptions extends GatewayIdentity {
  readonly routes: readonly GatewayHttpRoute[];
  /** Function of the `$default` route, served when no route matches. */
  readonly fallback?: string | undefined;
  readonly invoke: InvokeFunction;
  readonly log: LocalLog;
  readonly maxBodyBytes?: number;
  readonly integrationTimeoutMs?: number;
}

type BodyRead = { readonly ok: true; readonly body: Buffer } | { readonly ok: false };

/**
 * Reads the body up to the limit. Past it, the rest is drained (not buffered) so the client
 * can finish sending and read the 413 instead of seeing its connection reset.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers["content-length"] ?? 0) > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      // A client that keeps streaming far past the limit is cut off.
      if (size > limit * 4) req.destroy();
    });
    req.once("end", () => resolve(tooLarge ? { ok: false } : { ok: true, body: Buffer.concat(chunks) }));
    req.once("error", reject);
  });
}

const outlived = (ms: number) =>
  new Promise<"timeout">((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
  });

/** A request listener playing API Gateway in front of the manifest's HTTP functions. */
export function createHttpGateway(options: HttpGatewayOptions) {
  const routes = compileRoutes(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;

  async function respond(
    req: IncomingMessage,
  ): Promise<{ response: GatewayResponse; requestId: string; route?: string }> {
    const requestId = gatewayRequestId();
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) return { response: gatewayError(413, "Request Entity Too Large"), requestId };
    const built = buildHttpEvent({
      req,
      body: read.body,
      requestId,
      identity: options,
      routes,
      fallback: options.fallback,
    });
    if (!built) return { response: gatewayError(404, "Not Found"), requestId };
    const invocation = options.invoke(built.function, built.event);
    invocation.catch(() => undefined); // logged by the invoker; an abandoned call must not crash us
    const outcome = await Promise.race([
      invocation.then((r) => ({ result: r })),
      outlived(integrationTimeoutMs),
    ]).catch(() => "failed" as const);
    if (outcome === "timeout") return { response: gatewayError(503, "Service Unavailable"), requestId };
    if (outcome === "failed") return { response: internalServerError(), requestId };
    const mapped = mapHttpResult(outcome.result);
    if (mapped.problem)
      options.log.error(`[${built.function}] Malformed Lambda proxy response: ${mapped.problem}`);
    return { response: mapped, requestId, route: built.event.routeKey };
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    respond(req).then(
      ({ response, requestId, route }) => {
        sendGatewayResponse(res, response, requestId);
        options.log.request?.({
          method: req.method ?? "GET",
          path: (req.url ?? "/").split("?")[0] ?? "/",
          route,
          status: response.statusCode,
          ms: Math.round(performance.now() - startedAt),
          requestId,
        });
      },
      (error: unknown) => {
        options.log.error("HTTP gateway failed", error);
        if (!res.headersSent) sendGatewayResponse(res, internalServerError(), gatewayRequestId());
      },
    );
  };
}
