/**
 * Payment webhooks end to end through the local runtime: HTTP gateway → webhook handler →
 * payments FIFO queue (fauxqs) → poller → payment worker → email queue → email worker → SES
 * emulator. Deliveries are signed by the providers' own SDKs (test/webhooks/support).
 *
 * The handlers run in this process, so the SQS client they share (shared/aws/clients.ts) is the
 * one this file spies on: every SendMessage is recorded, and a one-shot fault can be armed for a
 * chosen message (the fault a crashed or partitioned worker meets, caused at the SDK boundary).
 */
import { randomBytes } from "node:crypto";
import {
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#infra/manifest.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import { sqsClient } from "#shared/aws/clients.ts";
import { getConfig } from "#shared/config.ts";
import { enqueueEmail } from "#shared/email/enqueue.ts";
import { paymentKey, receiptTaskId, webhookEventKey } from "#shared/payments/keys.ts";
import type { Payment } from "#shared/payments/payment.ts";
import type { PaymentProvider } from "#shared/payments/payment-event.ts";
import { PAYMENT_EMAIL_OWNER, paymentEffectEmail } from "#shared/payments/receipt-email.ts";
import { applyPaymentEvent } from "#shared/payments/repository.ts";
import { peek } from "#shared/queues/dead-letters.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import { normalizeStripeEvent } from "#shared/webhooks/stripe-normalize.ts";
import { type ApiResponse, call, eventually } from "#test/support/http.ts";
import {
  PAYU_KEY,
  PAYU_OLD_SALT,
  PAYU_SALT,
  payuCallbackFields,
  payuFormBody,
  payuOracleHash,
  signedPayuCallback,
} from "#test/webhooks/support/payu-fixtures.ts";
import {
  RAZORPAY_OLD_SECRET,
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayEventId,
  razorpayPayment,
  razorpaySignature,
} from "#test/webhooks/support/razorpay-fixtures.ts";
import {
  charge,
  paymentIntent,
  STRIPE_OLD_SECRET,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";
import { permutations } from "./support/events.ts";

let rt: LocalRuntime;
let redis: RedisClient;
let paymentsKey: string;
let tasksOnlyKey: string;
let queueUrls: { payments: string; paymentsDlq: string; emails: string };

interface Send {
  readonly queueUrl: string;
  readonly groupId?: string;
  readonly taskId?: string;
}
/** Every SendMessage the handlers made through the shared client, in order. */
const sends: Send[] = [];
/** One-shot faults: the first SendMessage a predicate matches fails, and the predicate is spent. */
let faults: ((send: Send) => boolean)[] = [];
let faultsFired = 0;

beforeAll(async () => {
  rt = await startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl: inject("redisUrl"),
    env: {
      // Rotation: both values of each secret are accepted.
      STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${STRIPE_OLD_SECRET}`,
      RAZORPAY_WEBHOOK_SECRET: `${RAZORPAY_SECRET},${RAZORPAY_OLD_SECRET}`,
      PAYU_MERCHANT_KEY: PAYU_KEY,
      PAYU_MERCHANT_SALT: `${PAYU_SALT},${PAYU_OLD_SALT}`,
      EMAIL_FROM: "payments@ferry.test",
      // Every delivery here comes from 127.0.0.1; the webhooks policy has its own tests.
      RATE_LIMITS: JSON.stringify({
        webhooks: { capacity: 100_000, refillPerSecond: 10_000 },
        api: { capacity: 100_000, refillPerSecond: 10_000 },
      }),
    },
  });
  const payments = rt.sqs.queueUrls.payments;
  const emails = rt.sqs.queueUrls.emails;
  if (!payments || !emails) throw new Error("the runtime has no payments or emails queue");
  queueUrls = { payments: payments.url, paymentsDlq: payments.dlqUrl, emails: emails.url };

  // The runtime has set process.env, so this is the configuration (and client) the handlers get.
  sqsClient(await getConfig()).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "SendMessageCommand") {
        const input = args.input as SendMessageCommandInput;
        const send: Send = {
          queueUrl: input.QueueUrl ?? "",
          ...(input.MessageGroupId ? { groupId: input.MessageGroupId } : {}),
          ...(input.MessageAttributes?.taskId?.StringValue
            ? { taskId: input.MessageAttributes.taskId.StringValue }
            : {}),
        };
        sends.push(send);
        const fault = faults.findIndex((matches) => matches(send));
        if (fault >= 0) {
          faults.splice(fault, 1);
          faultsFired++;
          throw Object.assign(new Error("injected: the queue is unreachable"), {
            name: "ServiceUnavailable",
          });
        }
      }
      return next(args);
    },
    { step: "initialize", name: "e2eSendSpy" },
  );

  redis = createRedisClient({ url: rt.upstash.url, token: rt.upstash.token, timeoutMs: 2000 });
  paymentsKey = (await createApiKey(redis, { name: "payments", scopes: ["payments:read"] })).secret;
  tasksOnlyKey = (await createApiKey(redis, { name: "tasks", scopes: ["tasks:read"] })).secret;
});

afterAll(async () => {
  await rt?.stop();
});

beforeEach(() => {
  faults = [];
  faultsFired = 0;
});

// ---------------------------------------------------------------- deliveries, as providers post them

const nowSeconds = () => Math.floor(Date.now() / 1000);
const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString("hex")}@example.com`;
const received = { received: true };

function postStripe(body: Buffer, signature: string | undefined) {
  return call(rt.url, "POST", "/v1/webhooks/stripe", {
    body: body.toString("utf8"),
    headers: {
      "content-type": "application/json; charset=utf-8",
      ...(signature !== undefined ? { "stripe-signature": signature } : {}),
    },
  });
}

/** Posts a Stripe event signed by stripe-node; returns the response and the body sent. */
async function deliverStripe(
  type: string,
  object: unknown,
  options: { id?: string; created?: number; secret?: string; signedAt?: number } = {},
) {
  const body = stripeEventBody(type, object, {
    ...(options.id ? { id: options.id } : {}),
    ...(options.created ? { created: options.created } : {}),
  });
  const header = stripeSignatureHeader(
    body,
    options.secret ?? STRIPE_SECRET,
    options.signedAt ?? nowSeconds(),
  );
  return { response: await postStripe(body, header), body };
}

function postRazorpay(body: Buffer, headers: Record<string, string>) {
  return call(rt.url, "POST", "/v1/webhooks/razorpay", {
    body: body.toString("utf8"),
    headers: { "content-type": "application/json", ...headers },
  });
}

function postPayu(body: Buffer) {
  return call(rt.url, "POST", "/v1/webhooks/payu", {
    body: body.toString("utf8"),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

// ---------------------------------------------------------------- observing the system

/** `key: null` sends no Authorization header. */
const getPayment = (provider: string, paymentId: string, key: string | null = paymentsKey) =>
  call<Payment & { type?: string }>(
    rt.url,
    "GET",
    `/v1/payments/${provider}/${encodeURIComponent(paymentId)}`,
    {
      ...(key !== null ? { key } : {}),
    },
  );

const paymentOf = (provider: PaymentProvider, paymentId: string) =>
  eventually(
    async () => {
      const res = await getPayment(provider, paymentId);
      return res.status === 200 ? res.body : undefined;
    },
    { what: `${provider} payment ${paymentId}` },
  );

const observer = () =>
  new SQSClient({
    region: rt.sqs.region,
    endpoint: rt.sqs.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

async function depth(queueUrl: string): Promise<number> {
  const client = observer();
  try {
    const out = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    const a = out.Attributes ?? {};
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) +
      Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  } finally {
    client.destroy();
  }
}

/**
 * Waits until every queued payment event and then every queued email has been processed. The
 * payments queue is checked first: its messages are deleted only after their emails were queued.
 */
async function settled(): Promise<void> {
  await eventually(
    async () =>
      (await depth(queueUrls.payments)) === 0 && (await depth(queueUrls.emails)) === 0 ? true : undefined,
    { timeoutMs: 30_000, intervalMs: 200, what: "the payments and email queues to drain" },
  );
}

const emailsTo = async (address: string) => (await rt.outbox()).filter((e) => e.to.includes(address));

const sendsTo = (queueUrl: string) => sends.filter((s) => s.queueUrl === queueUrl);

const expectProblem = (res: ApiResponse, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
};

async function storedEffects(provider: PaymentProvider, paymentId: string) {
  const raw = await redis.get<string>(paymentKey(provider, paymentId));
  return raw ? (JSON.parse(raw) as { effects: Record<string, { enqueued: boolean }> }).effects : {};
}

// ---------------------------------------------------------------- the specification

describe("POST /v1/webhooks/{provider} with a genuine delivery", () => {
  it("Stripe: acknowledges, and the payment appears succeeded with one receipt email", async () => {
    // Prepare
    const email = uniqueEmail("stripe");
    const intent = paymentIntent({ amount: 2000, amountReceived: 2000, receiptEmail: email });

    // Act
    const { response, body } = await deliverStripe("payment_intent.succeeded", intent);
    const payment = await paymentOf("stripe", intent.id);
    await settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const eventId = (JSON.parse(body.toString("utf8")) as { id: string }).id;
    expect(payment).toEqual({
      provider: "stripe",
      paymentId: intent.id,
      status: "succeeded",
      amount: 2000,
      currency: "USD",
      email,
      events: [{ id: eventId, type: "payment_intent.succeeded", at: "2023-11-14T22:15:00.000Z" }],
      receipt: { taskId: receiptTaskId("stripe", intent.id) },
    });
    const receipts = await emailsTo(email);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      from: "payments@ferry.test",
      subject: "Receipt for your payment of $20.00",
      text: expect.stringContaining(`Payment: ${intent.id} (Stripe)`),
    });
  });

  it("Razorpay: acknowledges payment.captured, and the payment appears succeeded in paise", async () => {
    // Prepare
    const email = uniqueEmail("razorpay");
    const entity = razorpayPayment({ amount: 50_000, email });
    const body = razorpayEventBody("payment.captured", { payment: { entity } });
    const eventId = razorpayEventId();

    // Act
    const response = await postRazorpay(body, {
      "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
      "x-razorpay-event-id": eventId,
    });
    const payment = await paymentOf("razorpay", entity.id);
    await settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(payment).toMatchObject({
      provider: "razorpay",
      status: "succeeded",
      amount: 50_000,
      currency: "INR",
      email,
      events: [{ id: eventId, type: "payment.captured" }],
    });
    expect((await emailsTo(email)).map((e) => e.subject)).toEqual(["Receipt for your payment of ₹500.00"]);
  });

  it("PayU: acknowledges the (base64-encoded) form post, and the payment appears succeeded", async () => {
    // Prepare
    const email = uniqueEmail("payu");
    const callback = signedPayuCallback({ amount: "10.00", email });

    // Act
    const response = await postPayu(callback.body);
    const payment = await paymentOf("payu", callback.fields.mihpayid ?? "");
    await settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(payment).toMatchObject({
      provider: "payu",
      status: "succeeded",
      amount: 1000,
      currency: "INR",
      email,
      events: [{ id: `${callback.fields.mihpayid}:success`, type: "success" }],
    });
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("accepts deliveries signed with the retiring secret while secrets rotate", async () => {
    // Prepare
    const stripeIntent = paymentIntent();
    const razorpayEntity = razorpayPayment();
    const razorpayBody = razorpayEventBody("payment.authorized", { payment: { entity: razorpayEntity } });
    const payu = signedPayuCallback({ status: "pending" }, PAYU_OLD_SALT);

    // Act
    const responses = [
      (await deliverStripe("payment_intent.processing", stripeIntent, { secret: STRIPE_OLD_SECRET }))
        .response,
      await postRazorpay(razorpayBody, {
        "x-razorpay-signature": razorpaySignature(razorpayBody, RAZORPAY_OLD_SECRET),
        "x-razorpay-event-id": razorpayEventId(),
      }),
      await postPayu(payu.body),
    ];

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await paymentOf("stripe", stripeIntent.id)).status).toBe("pending");
    expect((await paymentOf("razorpay", razorpayEntity.id)).status).toBe("authorized");
    expect((await paymentOf("payu", payu.fields.mihpayid ?? "")).status).toBe("pending");
  });
});

describe("POST /v1/webhooks/{provider} refusals", () => {
  const stripeBody = (id: string) => stripeEventBody("payment_intent.succeeded", paymentIntent({ id }));
  const tamper = (body: Buffer) =>
    Buffer.from(body.toString("utf8").replace('"amount": 2000', '"amount": 1'));
  const razorpayBody = (id: string) =>
    razorpayEventBody("payment.captured", { payment: { entity: razorpayPayment({ id }) } });

  const cases: [string, PaymentProvider, number, (paymentId: string) => Promise<ApiResponse>][] = [
    [
      "a Stripe body changed after signing",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return postStripe(tamper(body), stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
      },
    ],
    [
      "a Stripe delivery signed with another secret",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return postStripe(body, stripeSignatureHeader(body, "whsec_someone_elses_secret", nowSeconds()));
      },
    ],
    [
      "a Stripe delivery without Stripe-Signature",
      "stripe",
      400,
      (id) => postStripe(stripeBody(id), undefined),
    ],
    [
      "a Stripe delivery replayed ten minutes later",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds() - 600));
      },
    ],
    [
      "a Razorpay body changed after signing",
      "razorpay",
      401,
      (id) => {
        const body = razorpayBody(id);
        const changed = Buffer.from(body.toString("utf8").replace('"amount":50000', '"amount":1'));
        return postRazorpay(changed, {
          "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
          "x-razorpay-event-id": razorpayEventId(),
        });
      },
    ],
    [
      "a Razorpay delivery signed with another secret",
      "razorpay",
      401,
      (id) => {
        const body = razorpayBody(id);
        return postRazorpay(body, {
          "x-razorpay-signature": razorpaySignature(body, "not-our-secret"),
          "x-razorpay-event-id": razorpayEventId(),
        });
      },
    ],
    [
      "a Razorpay delivery without X-Razorpay-Signature",
      "razorpay",
      400,
      (id) => postRazorpay(razorpayBody(id), { "x-razorpay-event-id": razorpayEventId() }),
    ],
    [
      "a PayU form whose amount changed after hashing",
      "payu",
      401,
      (id) => {
        const fields = payuCallbackFields({ mihpayid: id });
        const hash = payuOracleHash(fields, PAYU_SALT);
        return postPayu(payuFormBody({ ...fields, amount: "1.00" }, hash));
      },
    ],
    [
      "a PayU form hashed with another salt",
      "payu",
      401,
      (id) => postPayu(signedPayuCallback({ mihpayid: id }, "some-other-salt").body),
    ],
    [
      "a PayU form without hash",
      "payu",
      400,
      (id) => postPayu(Buffer.from(new URLSearchParams(payuCallbackFields({ mihpayid: id })).toString())),
    ],
  ];

  it.each(cases)(
    "refuses %s with a problem+json, and queues nothing",
    async (_label, provider, status, deliver) => {
      // Prepare
      const paymentId =
        provider === "stripe"
          ? `pi_${randomBytes(8).toString("hex")}`
          : provider === "razorpay"
            ? `pay_${randomBytes(7).toString("hex")}`
            : String(Date.now()) + randomBytes(2).readUInt16BE();
      const queuedBefore = sendsTo(queueUrls.payments).length;

      // Act
      const response = await deliver(paymentId);
      await settled();

      // Assess
      expectProblem(response, status);
      expect(sendsTo(queueUrls.payments).length).toBe(queuedBefore);
      expect((await getPayment(provider, paymentId)).status).toBe(404);
    },
  );
});

describe("exactly one effect", () => {
  it("10 concurrent deliveries of one event change the state once and send one receipt", async () => {
    // Prepare
    const email = uniqueEmail("concurrent");
    const intent = paymentIntent({ amount: 4200, amountReceived: 4200, receiptEmail: email });
    const body = stripeEventBody("payment_intent.succeeded", intent);
    const header = stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds());
    const groupSends = () => sends.filter((s) => s.groupId === `stripe:${intent.id}`).length;

    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => postStripe(body, header)));
    await settled();

    // Assess
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(groupSends()).toBe(10);
    const payment = await paymentOf("stripe", intent.id);
    expect(payment.status).toBe("succeeded");
    expect(payment.events).toHaveLength(1);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("every arrival order of processing, capturable, succeeded and a partial refund ends the same, with one receipt", async () => {
    // Prepare: the four events of one payment, at increasing provider times.
    const template = [
      { type: "payment_intent.processing", status: "processing", created: 1_700_000_100 },
      {
        type: "payment_intent.amount_capturable_updated",
        status: "requires_capture",
        created: 1_700_000_101,
      },
      { type: "payment_intent.succeeded", status: "succeeded", created: 1_700_000_102 },
      { type: "charge.refunded", status: "succeeded", created: 1_700_000_103 },
    ];
    const orders = permutations(template).map((order) => ({
      order,
      paymentId: `pi_${randomBytes(10).toString("hex")}`,
      email: uniqueEmail("order"),
    }));

    // Act: each payment's events in its order, the payments side by side.
    await Promise.all(
      orders.map(async ({ order, paymentId, email }) => {
        for (const step of order) {
          const object =
            step.type === "charge.refunded"
              ? charge({ paymentIntent: paymentId, amount: 2000, amountRefunded: 500, billingEmail: email })
              : paymentIntent({
                  id: paymentId,
                  amount: 2000,
                  amountReceived: step.status === "succeeded" ? 2000 : 0,
                  status: step.status,
                  receiptEmail: email,
                });
          const { response } = await deliverStripe(step.type, object, { created: step.created });
          expect(response.status).toBe(200);
        }
      }),
    );
    await settled();

    // Assess
    for (const { paymentId, email } of orders) {
      const payment = await paymentOf("stripe", paymentId);
      expect(payment).toMatchObject({
        status: "partially_refunded",
        amount: 2000,
        currency: "USD",
        email,
        receipt: { taskId: receiptTaskId("stripe", paymentId) },
      });
      expect(payment.events.map((e) => e.type)).toEqual(template.map((t) => t.type));
      expect((await emailsTo(email)).map((e) => e.subject)).toEqual(["Receipt for your payment of $20.00"]);
    }
  }, 60_000);

  it("retries an event whose receipt could not be queued, without a second state change or receipt", async () => {
    // Prepare: the worker's first attempt to queue this payment's receipt fails.
    const email = uniqueEmail("fault");
    const intent = paymentIntent({ amount: 900, amountReceived: 900, receiptEmail: email });
    const taskId = receiptTaskId("stripe", intent.id);
    faults.push((send) => send.taskId === taskId);

    // Act
    const { response } = await deliverStripe("payment_intent.succeeded", intent);
    await eventually(async () => ((await emailsTo(email)).length > 0 ? true : undefined), {
      what: "the receipt after the retry",
    });
    await settled();

    // Assess
    expect(response.status).toBe(200);
    expect(faultsFired).toBe(1);
    expect(sendsTo(queueUrls.emails).filter((s) => s.taskId === taskId)).toHaveLength(2);
    const payment = await paymentOf("stripe", intent.id);
    expect(payment.events).toHaveLength(1);
    expect(await emailsTo(email)).toHaveLength(1);
    expect((await storedEffects("stripe", intent.id)).receipt?.enqueued).toBe(true);
  });

  it("a worker that died after queuing the receipt but before confirming it: the redelivery queues it again, one email goes out", async () => {
    // Prepare: the state a dead worker leaves a minute ago — event applied, receipt queued, not confirmed.
    const email = uniqueEmail("crash");
    const intent = paymentIntent({ amount: 700, amountReceived: 700, receiptEmail: email });
    const body = stripeEventBody("payment_intent.succeeded", intent);
    const normalized = normalizeStripeEvent(body);
    if (normalized.kind !== "payment") throw new Error("expected a payment event");
    const aMinuteAgo = new Date(Date.now() - 60_000);
    const applied = await applyPaymentEvent(redis, normalized.event, aMinuteAgo);
    const [receipt] = applied.effects;
    const content = applied.payment && paymentEffectEmail("receipt", applied.payment);
    if (!receipt || !content) throw new Error("expected a receipt to send");
    const config = await getConfig();
    await enqueueEmail(
      { redis, sqs: sqsClient(config), queueUrl: queueUrls.emails, newTaskId: () => receipt.taskId },
      PAYMENT_EMAIL_OWNER,
      content,
    );
    // The redelivery comes a visibility timeout later: that email has long been sent by then.
    await eventually(async () => ((await emailsTo(email)).length === 1 ? true : undefined), {
      what: "the dead worker's receipt to be sent",
    });

    // Act: the same event comes again (SQS redelivery, or the provider's retry).
    const response = await postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
    await eventually(
      async () => ((await storedEffects("stripe", intent.id)).receipt?.enqueued ? true : undefined),
      {
        what: "the receipt to be confirmed",
      },
    );
    await settled();

    // Assess
    expect(response.status).toBe(200);
    expect(sendsTo(queueUrls.emails).filter((s) => s.taskId === receipt.taskId)).toHaveLength(2);
    expect((await paymentOf("stripe", intent.id)).events).toHaveLength(1);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("answers 503 when the event cannot be queued, and the provider's retry is then accepted", async () => {
    // Prepare
    const intent = paymentIntent({ amount: 300, amountReceived: 300 });
    faults.push((send) => send.queueUrl === queueUrls.payments && send.groupId === `stripe:${intent.id}`);
    const body = stripeEventBody("payment_intent.succeeded", intent);

    // Act
    const refused = await postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
    const afterRefusal = await getPayment("stripe", intent.id);
    const retried = await postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));

    // Assess
    expectProblem(refused, 503);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(afterRefusal.status).toBe(404);
    expect(retried.status).toBe(200);
    expect((await paymentOf("stripe", intent.id)).status).toBe("succeeded");
  });
});

describe("events Ferry does not act on", () => {
  it("acknowledges and records unknown event types, and never queues them", async () => {
    // Prepare
    const stripeId = `evt_${randomBytes(12).toString("hex")}`;
    const razorpayId = razorpayEventId();
    const razorpayBody = razorpayEventBody("payment.dispute.created", {
      payment: { entity: razorpayPayment() },
    });
    const queuedBefore = sendsTo(queueUrls.payments).length;

    // Act: each delivered twice, as providers retry.
    const responses = [];
    for (let i = 0; i < 2; i++) {
      responses.push(
        (await deliverStripe("customer.created", { id: "cus_1", object: "customer" }, { id: stripeId }))
          .response,
      );
      responses.push(
        await postRazorpay(razorpayBody, {
          "x-razorpay-signature": razorpaySignature(razorpayBody, RAZORPAY_SECRET),
          "x-razorpay-event-id": razorpayId,
        }),
      );
    }
    await settled();

    // Assess
    expect(responses.map((r) => [r.status, r.body])).toEqual(Array(4).fill([200, received]));
    expect(sendsTo(queueUrls.payments).length).toBe(queuedBefore);
    const stripeRecord = await redis.get<string>(webhookEventKey("stripe", stripeId));
    const razorpayRecord = await redis.get<string>(webhookEventKey("razorpay", razorpayId));
    expect(JSON.parse(stripeRecord ?? "{}")).toMatchObject({ ignored: true, type: "customer.created" });
    expect(JSON.parse(razorpayRecord ?? "{}")).toMatchObject({
      ignored: true,
      type: "payment.dispute.created",
    });
  });

  it("moves a message the worker cannot read to the payments DLQ after maxReceiveCount, intact", async () => {
    // Prepare
    const body = `{"not":"a payment event","n":"${randomBytes(4).toString("hex")}"}`;
    const client = observer();

    // Act
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrls.payments,
        MessageBody: body,
        MessageGroupId: `poison-${randomBytes(4).toString("hex")}`,
        MessageDeduplicationId: randomBytes(8).toString("hex"),
      }),
    );

    // Assess: the DLQ (a FIFO queue too) holds it after maxReceiveCount failed receives.
    const dead = await eventually(
      async () => (await peek(client, queueUrls.paymentsDlq)).find((m) => m.Body === body),
      { timeoutMs: 30_000, what: "the poison message in the DLQ" },
    );
    expect(Number(dead.Attributes?.ApproximateReceiveCount ?? 0)).toBeGreaterThanOrEqual(
      manifest.queues.payments?.maxReceiveCount ?? Number.POSITIVE_INFINITY,
    );
    client.destroy();
  });
});

describe("GET /v1/payments/{provider}/{paymentId}", () => {
  it("needs a key with payments:read: 401 without one, 403 with another scope", async () => {
    const none = await getPayment("stripe", "pi_any", null);
    const unknownKey = await getPayment("stripe", "pi_any", "fry_not_a_key");
    const wrongScope = await getPayment("stripe", "pi_any", tasksOnlyKey);

    expectProblem(none, 401);
    expectProblem(unknownKey, 401);
    expectProblem(wrongScope, 403);
    expect(wrongScope.body).toMatchObject({ detail: expect.stringContaining("payments:read") });
  });

  it("is 404 for an unknown payment and 400 for an unknown provider", async () => {
    const unknown = await getPayment("stripe", `pi_${randomBytes(8).toString("hex")}`);
    const badProvider = await getPayment("paypal", "PAY-1");

    expectProblem(unknown, 404);
    expectProblem(badProvider, 400);
    expect(JSON.stringify(badProvider.body)).toContain("provider");
  });
});
