/**
 * Stripe's `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...]`: each v1 is the hex HMAC-SHA256
 * of `"<t>.<raw body>"` keyed with the whole `whsec_...` secret. Any v1 may match any configured
 * secret (Stripe sends one v1 per active secret while a secret is being rolled).
 *
 * Written here rather than calling stripe-node's `constructEvent` because its tolerance is
 * one-sided (a timestamp from the future passes) and it needs one secret per call; the SDK stays
 * in the tests as the oracle.
 */
import { createHmac } from "node:crypto";
import { hexDigestMatches } from "./digest-compare.ts";
import { InvalidWebhookSignatureError, MissingWebhookHeaderError, WebhookTimestampError } from "./errors.ts";
import { headerValue, type WebhookRequest } from "./request.ts";

export const STRIPE_SIGNATURE_HEADER = "stripe-signature";
export const STRIPE_TOLERANCE_SECONDS = 300;

interface ParsedStripeHeader {
  readonly timestamp: string;
  readonly signatures: readonly string[];
}

function parseHeader(header: string): ParsedStripeHeader | undefined {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") timestamp = value;
    else if (key === "v1") signatures.push(value);
    // Other schemes (v0 is the test-mode legacy one) are ignored, as Stripe documents.
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

export interface StripeVerifyOptions {
  readonly secrets: readonly string[];
  readonly now: Date;
  readonly toleranceSeconds?: number;
}

/** Throws a WebhookVerificationError unless the request is a fresh, correctly signed Stripe delivery. */
export function verifyStripeSignature(request: WebhookRequest, options: StripeVerifyOptions): void {
  const header = headerValue(request.headers, STRIPE_SIGNATURE_HEADER);
  if (header === undefined || header.trim() === "") throw new MissingWebhookHeaderError("Stripe-Signature");
  const parsed = parseHeader(header);
  if (!parsed)
    throw new InvalidWebhookSignatureError("The Stripe-Signature header has no timestamp or v1 signature.");

  const signedPayload = Buffer.concat([Buffer.from(`${parsed.timestamp}.`, "utf8"), request.rawBody]);
  const digests = options.secrets.map((secret) =>
    createHmac("sha256", secret).update(signedPayload).digest(),
  );
  // Every pair is compared (no early exit) so timing says nothing about which secret matched.
  let matched = false;
  for (const digest of digests) {
    for (const signature of parsed.signatures) {
      if (hexDigestMatches(digest, signature)) matched = true;
    }
  }
  if (!matched) throw new InvalidWebhookSignatureError();

  // Checked after the signature so only authentic deliveries learn about the clock.
  const tolerance = options.toleranceSeconds ?? STRIPE_TOLERANCE_SECONDS;
  const skew = Math.floor(options.now.getTime() / 1000) - Number(parsed.timestamp);
  if (Math.abs(skew) > tolerance) throw new WebhookTimestampError(skew, tolerance);
}
