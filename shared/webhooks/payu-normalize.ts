/**
 * PayU callbacks to payment events. A callback is the form PayU posts when a transaction ends
 * (or is pending): `status` success | failure | pending, `amount` a decimal string, `txnid` the
 * merchant's transaction id, `mihpayid` PayU's own id, `addedon` a local (IST) timestamp.
 *
 * Only what the hash covers decides anything (payu-hash.ts): the payment is keyed by `txnid`,
 * the amount and status come from the hashed fields, and the event's identity is the hashed
 * content. `mihpayid`, `addedon` and `currency` are not hashed, and the customer's browser sees
 * a genuine form, so they are treated as claims: mihpayid is kept as data (`reference`), addedon
 * only dates the event for display (`unsignedTime`: it never orders events), and the currency is
 * always INR (PayU India settles in rupees; the hash never covers a currency).
 */

import { decimalToMinorUnits, InvalidAmountError } from "#shared/payments/minor-units.ts";
import type { NormalizedWebhook, PaymentEvent } from "#shared/payments/payment-event.ts";
import { MAX_MINOR_UNITS } from "#shared/payments/payment-event.ts";
import { MalformedWebhookBodyError } from "./errors.ts";
import { signedContentId } from "./event-identity.ts";
import { isPlausibleProviderTime } from "./parse-body.ts";
import { payuSignedContent } from "./payu-hash.ts";
import { kindFor } from "./provider-fields.ts";

const STATUS_KINDS = { success: "succeeded", failure: "failed", pending: "pending" } as const;

/** PayU India reports `addedon` as "YYYY-MM-DD HH:MM:SS" in IST (UTC+05:30), with no zone. */
const ADDEDON = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

/**
 * The event's display time. Without a readable, plausible `addedon` the receipt time stands in:
 * the field is unsigned, so refusing a genuine callback over it would gain nothing.
 */
function occurredAt(addedon: string | null, now: Date): string {
  const m = addedon ? ADDEDON.exec(addedon.trim()) : null;
  if (!m) return now.toISOString();
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 2024-02-31 over into March: a date that does not round-trip does not exist.
  const exists =
    local.getUTCFullYear() === y &&
    local.getUTCMonth() === mo - 1 &&
    local.getUTCDate() === d &&
    local.getUTCHours() === h &&
    local.getUTCMinutes() === mi &&
    local.getUTCSeconds() === s;
  const utc = local.getTime() - IST_OFFSET_MS;
  return exists && isPlausibleProviderTime(utc, now) ? new Date(utc).toISOString() : now.toISOString();
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name)?.trim();
  if (!value) throw new MalformedWebhookBodyError(`The PayU field ${name} is required.`);
  return value;
}

/**
 * The hash joins fields with `|`, so text could be shifted across a boundary without changing it.
 * amount is a decimal and key is ours; a txnid without `|` then pins the last three fields, so
 * the payment and amount cannot be moved by such a shift.
 */
function transactionId(form: URLSearchParams): string {
  const txnid = required(form, "txnid");
  if (txnid.includes("|")) throw new MalformedWebhookBodyError("The PayU field txnid must not contain |.");
  return txnid;
}

export function normalizePayuCallback(form: URLSearchParams, now: Date): NormalizedWebhook {
  const status = required(form, "status").toLowerCase();
  const eventId = signedContentId(payuSignedContent(form));
  const kind = kindFor(STATUS_KINDS, status);
  if (!kind) return { kind: "ignored", provider: "payu", eventId, type: status };

  const paymentId = transactionId(form);
  let amount: number;
  try {
    amount = decimalToMinorUnits(required(form, "amount"), 2, MAX_MINOR_UNITS);
  } catch (error) {
    if (error instanceof InvalidAmountError) {
      throw new MalformedWebhookBodyError("The PayU field amount is not a decimal amount.");
    }
    throw error;
  }
  const mihpayid = form.get("mihpayid")?.trim();
  const email = form.get("email")?.trim();
  const event: PaymentEvent = {
    provider: "payu",
    eventId,
    paymentId,
    kind,
    amount,
    currency: "INR",
    ...(email ? { email } : {}),
    ...(mihpayid ? { reference: mihpayid } : {}),
    occurredAt: occurredAt(form.get("addedon"), now),
    unsignedTime: true,
    rawType: status,
  };
  return { kind: "payment", event };
}
