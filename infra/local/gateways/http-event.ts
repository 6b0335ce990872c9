/**
 * Builds the payload-format 2.0 event from a node:http request, with API Gateway's quirks:
 * rawPath and pathParameters arrive URL-decoded, rawQueryString stays as sent, the `cookie`
 * header is moved to `cookies`, repeated headers are joined with ",", and bodies are base64
 * unless the content type is textual (see isTextContentType).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { type GatewayIdentity, gatewayTime, sourceIpOf } from "./gateway-request-context.ts";
import { type CompiledRoute, matchRoute } from "./http-routes.ts";

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
