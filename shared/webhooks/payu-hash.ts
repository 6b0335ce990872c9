/**
 * PayU's callback is a form post whose `hash` field is the hex SHA-512 of
 * `[additional_charges|]SALT|status||||||udf5|udf4|udf3|udf2|udf1|email|firstname|productinfo|amount|txnid|key`
 * over the field values as posted. Several salts may be configured (rotation); the posted `key`
 * must be one of ours.
 *
 * Written here because payu-websdk compares with `==` and reads `additionalCharges`, while PayU
 * posts `additional_charges`; the SDK stays in the tests as the oracle.
 */
import { createHash } from "node:crypto";
import { hexDigestMatches } from "./digest-compare.ts";
import {
  InvalidWebhookSignatureError,
  MalformedWebhookBodyError,
  MissingWebhookHeaderError,
} from "./errors.ts";

export interface PayuCredentials {
  readonly keys: readonly string[];
  readonly salts: readonly string[];
}

/** Parses the form body. The hash covers the decoded values, so parsing comes before verifying. */
export function parsePayuForm(rawBody: Buffer): URLSearchParams {
  const text = rawBody.toString("utf8");
  if (text.trim() === "" || text.trimStart().startsWith("{")) {
    throw new MalformedWebhookBodyError("A PayU callback is an application/x-www-form-urlencoded body.");
  }
  return new URLSearchParams(text);
}

/** The hashed fields in hash order, without the salt (which goes after the optional charges). */
function hashedParts(form: URLSearchParams): { charges: string | null; fields: string[] } {
  const field = (name: string) => form.get(name) ?? "";
  const fields = [
    field("status"),
    "",
    "",
    "",
    "",
    "",
    field("udf5"),
    field("udf4"),
    field("udf3"),
    field("udf2"),
    field("udf1"),
    field("email"),
    field("firstname"),
    field("productinfo"),
    field("amount"),
    field("txnid"),
    field("key"),
  ];
  // PayU prefixes the charges only when the field is posted (as its own samples test with isset).
  return { charges: form.get("additional_charges"), fields };
}

function reverseHashInput(form: URLSearchParams, salt: string): string {
  const { charges, fields } = hashedParts(form);
  return [...(charges !== null ? [charges] : []), salt, ...fields].join("|");
}

/** The reverse hash PayU computes for a callback form with this salt (what `hash` must be). */
export function payuReverseHash(form: URLSearchParams, salt: string): string {
  return createHash("sha512").update(reverseHashInput(form, salt), "utf8").digest("hex");
}

/**
 * Exactly what the hash covers, less the salt: the content a PayU event's identity is built from.
 * Everything else in the form (mihpayid, addedon, currency, mode, bank fields...) can be changed
 * by whoever holds a genuine form (the customer's browser receives one) without breaking the hash.
 */
export function payuSignedContent(form: URLSearchParams): string {
  const { charges, fields } = hashedParts(form);
  // A marker for the charges keeps "no charges" and "charges" distinct, as the hash does.
  return [charges !== null ? `charges:${charges}` : "no-charges", ...fields].join("|");
}

/** Throws a WebhookVerificationError unless the form's hash matches one configured salt. */
export function verifyPayuHash(form: URLSearchParams, credentials: PayuCredentials): void {
  const hash = form.get("hash")?.trim();
  if (!hash) throw new MissingWebhookHeaderError("hash", "The PayU form field hash is required.");
  const key = form.get("key") ?? "";
  let matched = false;
  for (const salt of credentials.salts) {
    const digest = createHash("sha512").update(reverseHashInput(form, salt), "utf8").digest();
    if (hexDigestMatches(digest, hash)) matched = true;
  }
  // The key is compared after hashing so a foreign key costs the same time as a wrong hash.
  if (!matched || !credentials.keys.includes(key)) throw new InvalidWebhookSignatureError();
}
