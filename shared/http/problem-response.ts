/**
 * Maps any error to an RFC 9457 problem+json response. HttpErrors (client errors and deliberate
 * 5xx such as 503) are shown as they are; anything else is a generic 500 that never echoes
 * internals (no message, no stack).
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { HttpError, PROBLEM_BASE } from "./errors.ts";

export function problemResponse(error: unknown, instance?: string): APIGatewayProxyStructuredResultV2 {
  const known = error instanceof HttpError ? error : undefined;
  const status = known?.status ?? 500;
  const body = known
    ? {
        type: known.type,
        title: known.title,
        status,
        ...(known.detail !== undefined ? { detail: known.detail } : {}),
        ...(known.errors ? { errors: known.errors } : {}),
        ...(instance ? { instance } : {}),
      }
    : {
        type: `${PROBLEM_BASE}internal`,
        title: "Internal server error",
        status,
        detail: "The request could not be completed. Quote the x-request-id header when reporting it.",
        ...(instance ? { instance } : {}),
      };
  return {
    statusCode: status,
    headers: { ...(known?.headers ?? {}), "content-type": "application/problem+json" },
    body: JSON.stringify(body),
  };
}
