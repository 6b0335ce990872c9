/**
 * PayU callbacks to payment events. A callback is the form PayU posts when a transaction ends
 * (or is pending): one `mihpayid` per attempt, `status` success | failure | pending, `amount` a
 * decimal string, `addedon` a local (IST) timestamp.
 */
import type { NormalizedWebhook, PaymentEvent } from "#shared/payments/payment-event.ts";
import { MAX_MINOR_UNITS } from "#shared/payments/payment-event.ts";
import { MalformedWebhookBodyError } from "./errors.ts";
import { decimalToMinorUnits, InvalidAmountError } from "./minor-units.ts";

const STATUS_KINDS = { success: "succeeded", failure: "failed", pending: "pending" } as const;
type PayuStatus = keyof typeof STATUS_KINDS;

function isKnownStatus(status: string): status is PayuStatus {
  return Object.hasOwn(STATUS_KINDS, status);
}

/** PayU India reports `addedon` as "YYYY-MM-DD HH:MM:SS" in IST (UTC+05:30), with no zone. */
const ADDEDON = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

function occurredAt(addedon: string | null, now: Date): string {
  const m = addedon ? ADDEDON.exec(addedon.trim()) : null;
  // Without a provider timestamp the receipt time stands in; redeliveries are deduped before it matters.
  if (!m) return now.toISOString();
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const utc = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0) - IST_OFFSET_MS;
  return Number.isNaN(utc) ? now.toISOString() : new Date(utc).toISOString();
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name)?.trim();
  if (!value) throw new MalformedWebhookBodyError(`The PayU field ${name} is required.`);
  return value;
}

/** The event id PayU deliveries are deduplicated on: one event per attempt and status. */
export function payuEventId(mihpayid: string, status: string): string {
  return `${mihpayid}:${status}`;
}

export function normalizePayuCallback(form: URLSearchParams, now: Date): NormalizedWebhook {
  const mihpayid = required(form, "mihpayid");
  const status = required(form, "status").toLowerCase();
  const eventId = payuEventId(mihpayid, status);
  if (!isKnownStatus(status)) return { kind: "ignored", provider: "payu", eventId, type: status };

  let amount: number;
  try {
    amount = decimalToMinorUnits(required(form, "amount"), 2, MAX_MINOR_UNITS);
  } catch (error) {
    if (error instanceof InvalidAmountError) {
      throw new MalformedWebhookBodyError("The PayU field amount is not a decimal amount.");
    }
    throw error;
  }
  const currency = form.get("currency")?.trim().toUpperCase();
  const email = form.get("email")?.trim();
  const event: PaymentEvent = {
    provider: "payu",
    eventId,
    paymentId: mihpayid,
    kind: STATUS_KINDS[status],
    amount,
    // PayU India settles in rupees and does not post a currency field by default.
    currency: currency && /^[A-Z]{3}$/.test(currency) ? currency : "INR",
    ...(email ? { email } : {}),
    occurredAt: occurredAt(form.get("addedon"), now),
    rawType: status,
  };
  return { kind: "payment", event };
}
