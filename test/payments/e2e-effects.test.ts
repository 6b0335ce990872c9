/**
 * Payment webhooks end to end, the effects side: however often and in whatever order an event
 * arrives, and whichever SendMessage fails on the way, a payment changes state once and sends one
 * receipt; an event that cannot be queued is refused with 503 for the provider to retry; a message
 * the worker cannot read ends in the DLQ. The runtime, its SendMessage spy and one-shot faults are
 * in support/e2e-harness.ts.
 */

import { randomBytes } from "node:crypto";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import { manifest } from "#shared/app/manifest.ts";
import { enqueueEmail } from "#shared/email/enqueue.ts";
import { receiptTaskId } from "#shared/payments/keys.ts";
import { PAYMENT_EMAIL_OWNER, paymentEffectEmail } from "#shared/payments/receipt-email.ts";
import { applyPaymentEvent } from "#shared/payments/repository.ts";
import { peek } from "#shared/queues/dead-letters.ts";
import { normalizeStripeEvent } from "#shared/webhooks/stripe-normalize.ts";
import { eventually } from "#test/support/http.ts";
import {
  charge,
  paymentIntent,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";
import { expectProblem, h, nowSeconds, uniqueEmail, usePaymentsHarness } from "./support/e2e-harness.ts";
import { permutations } from "./support/events.ts";

usePaymentsHarness();

beforeEach(() => {
  h.resetFaults();
});

describe("exactly one effect", () => {
  it("10 concurrent deliveries of one event change the state once and send one receipt", async () => {
    // Prepare
    const email = uniqueEmail("concurrent");
    const intent = paymentIntent({ amount: 4200, amountReceived: 4200, receiptEmail: email });
    const body = stripeEventBody("payment_intent.succeeded", intent);
    const header = stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds());
    const groupSends = () => h.sends.filter((s) => s.groupId === `stripe:${intent.id}`).length;

    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => h.postStripe(body, header)));
    await h.settled();

    // Assess
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(groupSends()).toBe(10);
    const payment = await h.paymentOf("stripe", intent.id);
    expect(payment.status).toBe("succeeded");
    expect(payment.events).toHaveLength(1);
    expect(await h.emailsTo(email)).toHaveLength(1);
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
          const { response } = await h.deliverStripe(step.type, object, { created: step.created });
          expect(response.status).toBe(200);
        }
      }),
    );
    await h.settled();

    // Assess
    for (const { paymentId, email } of orders) {
      const payment = await h.paymentOf("stripe", paymentId);
      expect(payment).toMatchObject({
        status: "partially_refunded",
        amount: 2000,
        currency: "USD",
        email,
        receipt: { taskId: receiptTaskId("stripe", paymentId) },
      });
      expect(payment.events.map((e) => e.type)).toEqual(template.map((t) => t.type));
      expect((await h.emailsTo(email)).map((e) => e.subject)).toEqual(["Receipt for your payment of $20.00"]);
    }
  }, 60_000);

  it("retries an event whose receipt could not be queued, without a second state change or receipt", async () => {
    // Prepare: the worker's first attempt to queue this payment's receipt fails.
    const email = uniqueEmail("fault");
    const intent = paymentIntent({ amount: 900, amountReceived: 900, receiptEmail: email });
    const taskId = receiptTaskId("stripe", intent.id);
    h.injectFault((send) => send.taskId === taskId);

    // Act
    const { response } = await h.deliverStripe("payment_intent.succeeded", intent);
    await eventually(async () => ((await h.emailsTo(email)).length > 0 ? true : undefined), {
      what: "the receipt after the retry",
    });
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(h.faultsFired).toBe(1);
    expect(h.sendsTo(h.queueUrls.emails).filter((s) => s.taskId === taskId)).toHaveLength(2);
    const payment = await h.paymentOf("stripe", intent.id);
    expect(payment.events).toHaveLength(1);
    expect(await h.emailsTo(email)).toHaveLength(1);
    expect((await h.storedEffects("stripe", intent.id)).receipt?.enqueued).toBe(true);
  });

  it("a worker that died after queuing the receipt but before confirming it: the redelivery queues it again, one email goes out", async () => {
    // Prepare: the state a dead worker leaves a minute ago — event applied, receipt queued, not confirmed.
    const email = uniqueEmail("crash");
    const intent = paymentIntent({ amount: 700, amountReceived: 700, receiptEmail: email });
    const body = stripeEventBody("payment_intent.succeeded", intent);
    const normalized = normalizeStripeEvent(body, new Date());
    if (normalized.kind !== "payment") throw new Error("expected a payment event");
    const aMinuteAgo = new Date(Date.now() - 60_000);
    const applied = await applyPaymentEvent(h.redis, normalized.event, aMinuteAgo);
    const [receipt] = applied.effects;
    const content = applied.payment && paymentEffectEmail("receipt", applied.payment);
    if (!receipt || !content) throw new Error("expected a receipt to send");
    await enqueueEmail(
      {
        redis: h.redis,
        // Through the edge, like the worker's own send, so `sends` counts it.
        sqs: h.observer({ throughEdge: true }),
        queueUrl: h.queueUrls.emails,
        newTaskId: () => receipt.taskId,
      },
      PAYMENT_EMAIL_OWNER,
      content,
    );
    // The redelivery comes a visibility timeout later: that email has long been sent by then.
    await eventually(async () => ((await h.emailsTo(email)).length === 1 ? true : undefined), {
      what: "the dead worker's receipt to be sent",
    });

    // Act: the same event comes again (SQS redelivery, or the provider's retry).
    const response = await h.postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
    await eventually(
      async () => ((await h.storedEffects("stripe", intent.id)).receipt?.enqueued ? true : undefined),
      {
        what: "the receipt to be confirmed",
      },
    );
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(h.sendsTo(h.queueUrls.emails).filter((s) => s.taskId === receipt.taskId)).toHaveLength(2);
    expect((await h.paymentOf("stripe", intent.id)).events).toHaveLength(1);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it("answers 503 when the event cannot be queued, and the provider's retry is then accepted", async () => {
    // Prepare
    const intent = paymentIntent({ amount: 300, amountReceived: 300 });
    h.injectFault((send) => send.queueUrl === h.queueUrls.payments && send.groupId === `stripe:${intent.id}`);
    const body = stripeEventBody("payment_intent.succeeded", intent);

    // Act
    const refused = await h.postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
    const afterRefusal = await h.getPayment("stripe", intent.id);
    const retried = await h.postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));

    // Assess
    expectProblem(refused, 503);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(afterRefusal.status).toBe(404);
    expect(retried.status).toBe(200);
    expect((await h.paymentOf("stripe", intent.id)).status).toBe("succeeded");
  });
});

describe("events Ferry does not act on", () => {
  it("moves a message the worker cannot read to the payments DLQ after maxReceiveCount, intact", async () => {
    // Prepare
    const body = `{"not":"a payment event","n":"${randomBytes(4).toString("hex")}"}`;
    const client = h.observer();

    // Act
    await client.send(
      new SendMessageCommand({
        QueueUrl: h.queueUrls.payments,
        MessageBody: body,
        MessageGroupId: `poison-${randomBytes(4).toString("hex")}`,
        MessageDeduplicationId: randomBytes(8).toString("hex"),
      }),
    );

    // Assess: the DLQ (a FIFO queue too) holds it after maxReceiveCount failed receives.
    const dead = await eventually(
      async () => (await peek(client, h.queueUrls.paymentsDlq)).find((m) => m.Body === body),
      { timeoutMs: 30_000, what: "the poison message in the DLQ" },
    );
    expect(Number(dead.Attributes?.ApproximateReceiveCount ?? 0)).toBeGreaterThanOrEqual(
      manifest.queues.payments?.maxReceiveCount ?? Number.POSITIVE_INFINITY,
    );
    client.destroy();
  });
});
