/**
 * Signed test webhooks for `npm run smoke`, one per provider, signed as the provider signs them
 * (docs/payments.md): a succeeded payment with a fresh id, no customer email (so no receipt is
 * sent), and the path of the payment record it must produce.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

export type SmokeProvider = "stripe" | "razorpay" | "payu";

export interface SmokeWebhook {
  readonly provider: SmokeProvider;
  readonly paymentId: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** The provider secrets the smoke run signs with, from its environment (never the command line). */
export interface SmokeSecrets {
  readonly stripe?: string | undefined;
  readonly razorpay?: string | undefined;
  readonly payu?: { readonly key: string; readonly salt: string } | undefined;
}

/** The first of a comma-separated list (the value a rotating secret signs with). */
const first = (value: string | undefined) => value?.split(",")[0]?.trim() || undefined;

export function smokeSecretsFrom(env: Readonly<Record<string, string | undefined>>): SmokeSecrets {
  const key = first(env.PAYU_MERCHANT_KEY);
  const salt = first(env.PAYU_MERCHANT_SALT);
  return {
    stripe: first(env.STRIPE_WEBHOOK_SECRET),
    razorpay: first(env.RAZORPAY_WEBHOOK_SECRET),
    payu: key && salt ? { key, salt } : undefined,
  };
}

const id = (prefix: string) => `${prefix}_smoke_${randomBytes(8).toString("hex")}`;

function stripeWebhook(secret: string, now: Date): SmokeWebhook {
  const paymentId = id("pi");
  const seconds = Math.floor(now.getTime() / 1000);
  const body = JSON.stringify({
    id: id("evt"),
    object: "event",
    type: "payment_intent.succeeded",
    created: seconds,
    data: {
      object: {
        id: paymentId,
        object: "payment_intent",
        amount: 100,
        amount_received: 100,
        currency: "usd",
        receipt_email: null,
      },
    },
  });
  const v1 = createHmac("sha256", secret).update(`${seconds}.${body}`).digest("hex");
  return {
    provider: "stripe",
    paymentId,
    body,
    headers: { "content-type": "application/json", "stripe-signature": `t=${seconds},v1=${v1}` },
  };
}

function razorpayWebhook(secret: string, now: Date): SmokeWebhook {
  const paymentId = id("pay");
  const body = JSON.stringify({
    entity: "event",
    event: "payment.captured",
    contains: ["payment"],
    payload: {
      payment: {
        entity: {
          id: paymentId,
          entity: "payment",
          amount: 100,
          currency: "INR",
          status: "captured",
          email: null,
        },
      },
    },
    created_at: Math.floor(now.getTime() / 1000),
  });
  return {
    provider: "razorpay",
    paymentId,
    body,
    headers: {
      "content-type": "application/json",
      "x-razorpay-signature": createHmac("sha256", secret).update(body).digest("hex"),
    },
  };
}

function payuWebhook(credentials: { key: string; salt: string }): SmokeWebhook {
  const fields: Record<string, string> = {
    key: credentials.key,
    txnid: id("txn"),
    amount: "1.00",
    productinfo: "Ferry smoke test",
    firstname: "Ferry",
    email: "",
    status: "success",
  };
  const f = (name: string) => fields[name] ?? "";
  // PayU's reverse hash: SALT|status||||||udf5|udf4|udf3|udf2|udf1|email|firstname|productinfo|amount|txnid|key
  const input = [
    credentials.salt,
    f("status"),
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    f("email"),
    f("firstname"),
    f("productinfo"),
    f("amount"),
    f("txnid"),
    f("key"),
  ].join("|");
  const hash = createHash("sha512").update(input, "utf8").digest("hex");
  return {
    provider: "payu",
    paymentId: f("txnid"),
    body: new URLSearchParams({ ...fields, mihpayid: id("mih"), hash }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  };
}

/** One signed webhook per provider whose secret the run was given. */
export function smokeWebhooks(secrets: SmokeSecrets, now = new Date()): SmokeWebhook[] {
  return [
    ...(secrets.stripe ? [stripeWebhook(secrets.stripe, now)] : []),
    ...(secrets.razorpay ? [razorpayWebhook(secrets.razorpay, now)] : []),
    ...(secrets.payu ? [payuWebhook(secrets.payu)] : []),
  ];
}
