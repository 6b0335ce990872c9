/**
 * What a request costs on each policy. Rate limiting runs before the handler validates the body,
 * so the emails cost validates it here with the handler's own parser and schema: a request is
 * charged what it asks for only when it is a request the handler will accept. One that will be
 * refused (bad JSON, wrong media type, invalid fields) costs nothing on `emails`; the `api`
 * policy still charges it its one unit, so invalid requests cannot be sent for free.
 */
import { emailRequestSchema } from "#shared/email/request.ts";
import type { FerryRateLimitPolicy } from "#shared/ratelimit/policies.ts";
import { parseJsonBody } from "./json-body.ts";

/** Recipients of a valid POST /v1/emails body; 0 for a body its handler will refuse. */
export function validatedRecipients(rawBody: Buffer, contentType: string | undefined): number {
  try {
    const { to } = parseJsonBody(rawBody, contentType, emailRequestSchema);
    return typeof to === "string" ? 1 : to.length;
  } catch {
    return 0;
  }
}

export function costOf(
  policy: FerryRateLimitPolicy,
  rawBody: Buffer,
  contentType: string | undefined,
): number {
  return policy.cost === "recipients" ? validatedRecipients(rawBody, contentType) : 1;
}
