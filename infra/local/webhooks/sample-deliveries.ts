/**
 * The sample deliveries in samples/webhooks/<provider>/<event>.json, made about one payment
 * (fresh ids, now as the time, an optional recipient and amount) and signed as the provider signs
 * them: Stripe's `Stripe-Signature` (HMAC-SHA256 over `t.body`), Razorpay's
 * `X-Razorpay-Signature` (HMAC-SHA256 of the body), PayU's reverse SHA-512 `hash` field.
 * Used by `ferry webhooks trigger` (cli/) and the local runtime's `/local/webhooks` (the console's
 * test buttons); kept beside the runtime because both run only against it or a test stack.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { payuReverseHash } from "#shared/webhooks/payu-hash.ts";

export const PROVIDERS = ["stripe", "razorpay", "payu"] as const;
export type Provider = (typeof PROVIDERS)[number];

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "samples", "webhooks");

/** The secrets a delivery is signed with (the first value of each rotation list). */
export interface SigningSecrets {
  readonly stripe: string;
  readonly razorpay: string;
  readonly payuKey: string;
  readonly payuSalt: string;
}

export class UnknownSampleError extends Error {
  override readonly name = "UnknownSampleError";
}

export const sampleEvents = (provider: Provider): string[] =>
  readdirSync(join(SAMPLES, provider))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();

export function readSample(provider: Provider, event: string): Record<string, unknown> {
  if (!sampleEvents(provider).includes(event)) {
    throw new UnknownSampleError(
      `No ${provider} sample "${event}"; there are: ${sampleEvents(provider).join(", ")}.`,
    );
  }
  return JSON.parse(readFileSync(join(SAMPLES, provider, `${event}.json`), "utf8")) as Record<
    string,
    unknown
  >;
}

export interface Delivery {
  readonly provider: Provider;
  readonly event: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface DeliveryOptions {
  readonly paymentId: string;
  readonly email?: string | undefined;
  /** Unix seconds the provider signs (Stripe) and dates the event with. */
  readonly now: number;
  /** The payment's amount in minor units (cents, paise); default the sample's. */
  readonly amount?: number | undefined;
}

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (typeof value === "object" && value !== null ? (value as Obj) : {});

/** Stripe's signature: `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">`. */
export const stripeSignature = (body: string, secret: string, timestamp: number) =>
  `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;

export function buildDelivery(
  provider: Provider,
  event: string,
  secrets: SigningSecrets,
  options: DeliveryOptions,
): Delivery {
  const sample = readSample(provider, event);
  if (options.amount !== undefined) withAmount(provider, sample, options.amount);
  if (provider === "stripe") {
    const object = obj(obj(sample.data).object);
    if (object.object === "charge") object.payment_intent = options.paymentId;
    else {
      object.id = options.paymentId;
      if (options.email) object.receipt_email = options.email;
    }
    if (object.object === "charge" && options.email) obj(object.billing_details).email = options.email;
    Object.assign(sample, { id: rid("evt"), created: options.now });
    // Pretty-printed, as Stripe posts it.
    const body = JSON.stringify(sample, null, 2);
    return {
      provider,
      event,
      path: "/v1/webhooks/stripe",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": stripeSignature(body, secrets.stripe, options.now),
      },
      body,
    };
  }
  if (provider === "razorpay") {
    const payload = obj(sample.payload);
    const payment = obj(obj(payload.payment).entity);
    if (payload.payment) {
      payment.id = options.paymentId;
      if (options.email) payment.email = options.email;
    }
    if (payload.refund)
      Object.assign(obj(obj(payload.refund).entity), { id: rid("rfnd"), payment_id: options.paymentId });
    sample.created_at = options.now;
    const body = JSON.stringify(sample);
    return {
      provider,
      event,
      path: "/v1/webhooks/razorpay",
      headers: {
        "content-type": "application/json",
        "x-razorpay-signature": createHmac("sha256", secrets.razorpay).update(body, "utf8").digest("hex"),
        "x-razorpay-event-id": rid("evt").slice(0, 18),
      },
      body,
    };
  }
  const fields = Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, String(v)]));
  fields.txnid = options.paymentId;
  fields.key = secrets.payuKey;
  if (options.email) fields.email = options.email;
  const form = new URLSearchParams(fields);
  form.set("hash", payuReverseHash(form, secrets.payuSalt));
  return {
    provider,
    event,
    path: "/v1/webhooks/payu",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  };
}

/** The amount fields a sample fills with its payment's amount (refunded ones too: a full refund). */
const AMOUNT_FIELDS = new Set([
  "amount",
  "amount_received",
  "amount_captured",
  "amount_refunded",
  "amount_capturable",
  "base_amount",
]);

/**
 * Re-amounts a sample: every amount field that held the sample's payment amount now holds
 * `amount` (Stripe and Razorpay in minor units; PayU's form in rupees with two decimals).
 */
function withAmount(provider: Provider, sample: Obj, amount: number): void {
  if (provider === "payu") {
    const original = sample.amount;
    for (const key of ["amount", "net_amount_debit"]) {
      if (sample[key] === original) sample[key] = (amount / 100).toFixed(2);
    }
    return;
  }
  const payment =
    provider === "stripe" ? obj(obj(sample.data).object) : obj(obj(obj(sample.payload).payment).entity);
  const refund = obj(obj(obj(sample.payload).refund).entity);
  const original = payment.amount ?? refund.amount;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const record = value as Obj;
    for (const [key, field] of Object.entries(record)) {
      if (AMOUNT_FIELDS.has(key) && field === original) record[key] = amount;
      else visit(field);
    }
  };
  visit(sample);
}

/** A new payment id in the provider's own style. */
export const newPaymentId = (provider: Provider) =>
  provider === "stripe"
    ? rid("pi")
    : provider === "razorpay"
      ? rid("pay").slice(0, 18)
      : `txn_${randomBytes(8).toString("hex")}`;

/** Fisher–Yates with crypto randomness. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32BE(0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
