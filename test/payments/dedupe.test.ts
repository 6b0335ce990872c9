/** The durable dedupe records: key names, lifetimes, and what still catches a late duplicate. */

import { describe, expect, it } from "vitest";
import { recordIgnoredEvent } from "#shared/payments/ignored-events.ts";
import { paymentKey, webhookEventKey } from "#shared/payments/keys.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { applyPaymentEvent } from "#shared/payments/repository.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { randomId, statusEvent } from "./support/events.ts";

let test: TestRedis;
forFile(startTestRedis, async (started) => {
  test = started;
});

const NOW = new Date("2024-05-14T11:00:00.000Z");
const THREE_DAYS_S = 3 * 24 * 60 * 60;

describe("webhook event dedupe", () => {
  it("keeps each applied event's dedupe record at least 3 days, and the payment without expiry", async () => {
    // Prepare
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "authorized");

    // Act
    await applyPaymentEvent(test.redis, event, NOW);

    // Assess
    expect(webhookEventKey("stripe", event.eventId)).toBe(`ferry:webhook-events:stripe:${event.eventId}`);
    expect(paymentKey("stripe", paymentId)).toBe(`ferry:payments:stripe:${paymentId}`);
    expect(
      await test.redis.command(["ttl", webhookEventKey("stripe", event.eventId)]),
    ).toBeGreaterThanOrEqual(THREE_DAYS_S);
    expect(await test.redis.command(["ttl", paymentKey("stripe", paymentId)])).toBe(-1);
  });

  it("still recognises a duplicate after its dedupe record expired, from the payment's history", async () => {
    // Prepare
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "succeeded");
    await applyPaymentEvent(test.redis, event, NOW);
    await test.redis.del(webhookEventKey("stripe", event.eventId));

    // Act
    const again = await applyPaymentEvent(test.redis, event, NOW);

    // Assess
    expect(again).toMatchObject({ duplicate: true, applied: false });
    expect((await getPayment(test.redis, "stripe", paymentId))?.events).toHaveLength(1);
  });

  it("records an ignored event once, for at least 3 days", async () => {
    // Prepare
    const ignored = {
      kind: "ignored" as const,
      provider: "razorpay" as const,
      eventId: randomId("evt"),
      type: "payment.dispute.created",
    };

    // Act
    const first = await recordIgnoredEvent(test.redis, ignored, NOW);
    const second = await recordIgnoredEvent(test.redis, ignored, NOW);

    // Assess
    expect(first).toEqual({ duplicate: false });
    expect(second).toEqual({ duplicate: true });
    expect(
      await test.redis.command(["ttl", webhookEventKey("razorpay", ignored.eventId)]),
    ).toBeGreaterThanOrEqual(THREE_DAYS_S);
  });
});
