/**
 * Event identities built from what a signature covers. Razorpay's event id and PayU's mihpayid
 * are not signed: keyed on them, one genuine delivery re-posted under fresh values would count as
 * many events. Keyed on the signed bytes, every such copy is the same event, a duplicate.
 */
import { createHash } from "node:crypto";

/** `sha256:<hex>` of the signed content: fixed length, and characters SQS accepts in its ids. */
export function signedContentId(signed: Buffer | string): string {
  return `sha256:${createHash("sha256").update(signed).digest("hex")}`;
}
