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
import { randomBytes } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { LocalLog } from "./lambda-context.ts";
import type { InvokeFunction } from "./load-handler.ts";

/** API Gateway's request payload limit. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API's maximum integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface GatewayHttpRoute {
  readonly method: string;
  /** API Gateway path syntax: `/v1/tasks/{taskId}`, `/files/{proxy+}`. */
  readonly path: string;
  readonly function: string;
}

export interface GatewayIdentity {
  readonly apiId: string;
  readonly accountId: string;
}

export interface HttpGatewayOptions extends GatewayIdentity {
  readonly routes: readonly GatewayHttpRoute[];
  /** Function of the `$default` route, served when no route matches. */
  readonly fallback?: string | undefined;
  readonly invoke: InvokeFunction;
  readonly log: LocalLog;
  readonly maxBodyBytes?: number;
  readonly integrationTimeoutMs?: number;
}

type Segment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "greedy"; readonly name: string };

export interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly Segment[];
  readonly function: string;
}

export interface RouteMatch {
  readonly routeKey: string;
  readonly function: string;
  readonly pathParameters?: Record<string, string>;
}

const splitPath = (path: string): string[] => path.split("/").slice(1);

export function compileRoutes(routes: readonly GatewayHttpRoute[]): CompiledRoute[] {
  return routes.map((route) => {
    const parts = splitPath(route.path);
    const segments = parts.map((part, i): Segment => {
      const greedy = /^\{(\w+)\+\}$/.exec(part);
      if (greedy?.[1]) {
        if (i !== parts.length - 1) throw new Error(`${route.path}: a greedy variable must be last`);
        return { kind: "greedy", name: greedy[1] };
      }
      const param = /^\{(\w+)\}$/.exec(part);
      return param?.[1] ? { kind: "param", name: param[1] } : { kind: "literal", value: part };
    });
    return {
      routeKey: `${route.method} ${route.path}`,
      method: route.method,
      segments,
      function: route.function,
    };
  });
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === "greedy") {
      const rest = parts.slice(i).join("/");
      if (rest === "") return undefined;
      params[segment.name] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === "literal" && segment.value !== part) return undefined;
    if (segment.kind === "param") {
      if (part === "") return undefined;
      params[segment.name] = part;
    }
  }
  return segments.length === parts.length ? params : undefined;
}

const SPECIFICITY = { literal: 2, param: 1, greedy: 0 } as const;

/** Positive when `a` is the more specific route: literal beats variable beats greedy, left to right. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? 1 : -1;
    const diff = SPECIFICITY[sa.kind] - SPECIFICITY[sb.kind];
    if (diff !== 0) return diff;
  }
  // A route for the exact method beats `ANY` on the same path.
  return Number(a.method !== "ANY") - Number(b.method !== "ANY");
}

/** The most specific route for this method and (decoded) path, as API Gateway picks it. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const parts = splitPath(path);
  let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== "ANY") continue;
    const params = matchSegments(route.segments, parts);
    if (params && (!best || compareSpecificity(route, best.route) > 0)) best = { route, params };
  }
  if (!best) return undefined;
  const hasParams = Object.keys(best.params).length > 0;
  return {
    routeKey: best.route.routeKey,
    function: best.route.function,
    ...(hasParams ? { pathParameters: best.params } : {}),
  };
}

const TEXT_CONTENT_TYPES = new Set(["application/json", "application/xml", "application/javascript"]);

/** Measured on AWS: only these arrive as text; everything else, even a missing type, is base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (!mediaType) return false;
  return mediaType.startsWith("text/") || TEXT_CONTENT_TYPES.has(mediaType);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's access-log time format: `12/Mar/2020:19:03:58 +0000`. */
export function gatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

/** API Gateway request ids look like `JKJaXmPLvHcESHA=`. */
export const gatewayRequestId = (): string => randomBytes(11).toString("base64");

export const sourceIpOf = (req: IncomingMessage): string =>
  (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")}`;
}

interface CollectedHeaders {
  readonly headers: Record<string, string>;
  readonly cookies: string[];
}

/** Lower-cased names, repeats joined with ",", cookies split out, and the headers AWS adds. */
function collectHeaders(req: IncomingMessage): CollectedHeaders {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === "cookie") {
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter((c) => c !== ""),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const sourceIp = sourceIpOf(req);
  headers["x-forwarded-for"] = headers["x-forwarded-for"]
    ? `${headers["x-forwarded-for"]}, ${sourceIp}`
    : sourceIp;
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  headers["x-forwarded-proto"] = "http";
  headers["x-amzn-trace-id"] ??= traceId();
  return { headers, cookies };
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === "") return undefined;
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

export interface HttpEventInput {
  readonly req: IncomingMessage;
  readonly body: Buffer;
  readonly requestId: string;
  readonly identity: GatewayIdentity;
  readonly routes: readonly CompiledRoute[];
  readonly fallback?: string | undefined;
}

/** Builds the payload-format 2.0 event; undefined when no route (and no `$default`) matches. */
export function buildHttpEvent(
  input: HttpEventInput,
): { event: APIGatewayProxyEventV2; function: string } | undefined {
  const { req, body } = input;
  const url = req.url ?? "/";
  const queryAt = url.indexOf("?");
  const rawQueryString = queryAt >= 0 ? url.slice(queryAt + 1) : "";
  const rawPath = safeDecode(queryAt >= 0 ? url.slice(0, queryAt) : url);
  const method = (req.method ?? "GET").toUpperCase();
  const match =
    matchRoute(input.routes, method, rawPath) ??
    (input.fallback ? { routeKey: "$default", function: input.fallback } : undefined);
  if (!match) return undefined;

  const { headers, cookies } = collectHeaders(req);
  const host = headers.host ?? "localhost";
  const domainName = host.replace(/:\d+$/, "");
  const now = new Date();
  const queryStringParameters = queryParameters(rawQueryString);
  const pathParameters = match.pathParameters;
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: match.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: input.identity.accountId,
      apiId: input.identity.apiId,
      domainName,
      domainPrefix: domainName.split(".")[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: sourceIpOf(req),
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: input.requestId,
      routeKey: match.routeKey,
      stage: "$default",
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(pathParameters ? { pathParameters } : {}),
    isBase64Encoded: false,
  };
  if (body.length > 0) {
    const asText = isTextContentType(headers["content-type"]);
    event.body = asText ? body.toString("utf8") : body.toString("base64");
    event.isBase64Encoded = !asText;
  }
  return { event, function: match.function };
}

export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

export const gatewayError = (statusCode: number, message: string): GatewayResponse => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: Buffer.from(JSON.stringify({ message })),
});

export const internalServerError = (): GatewayResponse => gatewayError(500, "Internal Server Error");

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Maps a function's result as API Gateway does for payload 2.0. A malformed structured result
 * is a 500 in AWS too; `problem` says why, so the log can tell the developer.
 */
export function mapHttpResult(result: unknown): GatewayResponse & { problem?: string } {
  if (!isRecord(result) || !("statusCode" in result)) {
    const body = typeof result === "string" ? result : JSON.stringify(result);
    return { statusCode: 200, headers: { "content-type": "application/json" }, body: Buffer.from(body) };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result;
  const malformed = (problem: string) => ({ ...internalServerError(), problem });
  if (
    typeof statusCode !== "number" ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return malformed(`statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}`);
  }
  if (body !== undefined && body !== null && typeof body !== "string") {
    return malformed("body must be a string (serialise it yourself)");
  }
  const out: OutgoingHttpHeaders = {};
  if (headers !== undefined && headers !== null) {
    if (!isRecord(headers)) return malformed("headers must be an object of strings");
    for (const [name, value] of Object.entries(headers)) {
      if (value === null || value === undefined) continue;
      if (typeof value === "object") return malformed(`header ${name} must be a string, number or boolean`);
      out[name.toLowerCase()] = String(value);
    }
  }
  if (cookies !== undefined && cookies !== null) {
    if (!Array.isArray(cookies) || cookies.some((c) => typeof c !== "string")) {
      return malformed("cookies must be an array of strings");
    }
    if (cookies.length > 0) out["set-cookie"] = cookies as string[];
  }
  const bytes =
    typeof body === "string"
      ? Buffer.from(body, isBase64Encoded === true ? "base64" : "utf8")
      : Buffer.alloc(0);
  if (bytes.length > 0) out["content-type"] ??= "text/plain; charset=utf-8";
  return { statusCode, headers: out, body: bytes };
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

export function sendGatewayResponse(res: ServerResponse, response: GatewayResponse, requestId: string): void {
  res.writeHead(response.statusCode, {
    ...response.headers,
    "apigw-requestid": requestId,
    "content-length": response.body.length,
  });
  res.end(response.body);
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

  async function respond(req: IncomingMessage): Promise<{ response: GatewayResponse; requestId: string }> {
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
    return { response: mapped, requestId };
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    respond(req).then(
      ({ response, requestId }) => sendGatewayResponse(res, response, requestId),
      (error: unknown) => {
        options.log.error("HTTP gateway failed", error);
        if (!res.headersSent) sendGatewayResponse(res, internalServerError(), gatewayRequestId());
      },
    );
  };
}
