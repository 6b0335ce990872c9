/**
 * Why a webhook delivery was refused. Each reason is its own class so callers and tests can tell
 * them apart; all of them are HttpErrors, so the HTTP error handler turns them into problem+json
 * without a mapping table. Details name the header or field at fault, never a secret or the
 * signature we expected.
 */
import { HttpError } from "#shared/http/errors.ts";

export type WebhookRefusalReason =
  | "missing_header"
  | "invalid_signature"
  | "stale_timestamp"
  | "future_timestamp"
  | "malformed_body";

export abstract class WebhookVerificationError extends HttpError {
  abstract readonly reason: WebhookRefusalReason;
}

/** A header (or, for PayU's form post, a field) that carries the signature or the event id is absent. */
export class MissingWebhookHeaderError extends WebhookVerificationError {
  readonly reason = "missing_header";
  readonly header: string;

  constructor(header: string, detail = `The ${header} header is required.`) {
    super(400, { type: "webhook-header-missing", title: "Webhook header missing", detail });
    this.header = header;
  }
}

/** No configured secret produces the signature sent (or the signature header cannot be read). */
export class InvalidWebhookSignatureError extends WebhookVerificationError {
  readonly reason = "invalid_signature";

  constructor(detail = "The webhook signature does not match the request body.") {
    super(401, { type: "webhook-signature-invalid", title: "Webhook signature invalid", detail });
  }
}

/** A correctly signed Stripe delivery whose timestamp is outside the tolerance (replay protection). */
export class WebhookTimestampError extends WebhookVerificationError {
  readonly reason: "stale_timestamp" | "future_timestamp";
  readonly skewSeconds: number;

  constructor(skewSeconds: number, toleranceSeconds: number) {
    const stale = skewSeconds > 0;
    super(401, {
      type: "webhook-timestamp-out-of-tolerance",
      title: "Webhook timestamp outside tolerance",
      detail: `The signed timestamp is ${Math.abs(skewSeconds)} s ${stale ? "old" : "in the future"}; at most ${toleranceSeconds} s is accepted.`,
    });
    this.reason = stale ? "stale_timestamp" : "future_timestamp";
    this.skewSeconds = skewSeconds;
  }
}

/** The body passed verification but is not the shape the provider documents for its type. */
export class MalformedWebhookBodyError extends WebhookVerificationError {
  readonly reason = "malformed_body";

  constructor(detail: string) {
    super(400, { type: "webhook-body-malformed", title: "Webhook body malformed", detail });
  }
}
