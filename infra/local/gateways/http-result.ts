/**
 * The HTTP response side of the gateway: maps a function's result as API Gateway does for
 * payload 2.0 (a result without `statusCode` is a 200 application/json whose body is the result;
 * `multiValueHeaders` is ignored), its own error bodies, and writing a response to node:http.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

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

export function sendGatewayResponse(res: ServerResponse, response: GatewayResponse, requestId: string): void {
  res.writeHead(response.statusCode, {
    ...response.headers,
    "apigw-requestid": requestId,
    "content-length": response.body.length,
  });
  res.end(response.body);
}
