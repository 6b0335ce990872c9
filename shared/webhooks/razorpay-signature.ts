/**
 * Razorpay's `X-Razorpay-Signature`: hex HMAC-SHA256 of the raw body keyed with the webhook secret.
 * There is no timestamp; replays are absorbed by the durable dedupe on `x-razorpay-event-id`.
 *
 * Written here because the SDK's `validateWebhookSignature` compares with `===` (not constant
 * time) and takes one secret; the SDK stays in the tests as the oracle.
 */
import { createHmac } from "node:crypto";
import { hexDigestMatches } from "./digest-compare.ts";
import { InvalidWebhookSignatureError, MissingWebhookHeaderError } from "./errors.ts";
import { headerValue, type WebhookRequest } from "./request.ts";

export const RAZORPAY_SIGNATURE_HEADER = "x-razorpay-signature";

export function verifyRazorpaySignature(request: WebhookRequest, secrets: readonly string[]): void {
  const signature = headerValue(request.headers, RAZORPAY_SIGNATURE_HEADER)?.trim();
  if (!signature) throw new MissingWebhookHeaderError("X-Razorpay-Signature");
  let matched = false;
  for (const secret of secrets) {
    const digest = createHmac("sha256", secret).update(request.rawBody).digest();
    if (hexDigestMatches(digest, signature)) matched = true;
  }
  if (!matched) throw new InvalidWebhookSignatureError();
}
