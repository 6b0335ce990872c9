import { describe, expect, it } from "vitest";
import {
  InvalidPaymentEventMessageError,
  type PaymentEvent,
  parsePaymentEventMessage,
} from "#shared/payments/payment-event.ts";
import {
  paymentMessageDeduplicationId,
  paymentMessageGroupId,
  paymentQueueMessage,
} from "#shared/payments/queue-message.ts";

/** What SQS FIFO accepts for MessageGroupId and MessageDeduplicationId. */
const SQS_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

const event: PaymentEvent = {
  provider: "payu",
  eventId: "403993715531077182:success",
  paymentId: "403993715531077182",
  kind: "succeeded",
  amount: 99_999,
  currency: "INR",
  email: "ashish@example.com",
  occurredAt: "2024-05-14T07:18:36.000Z",
  rawType: "success",
};

describe("payments queue message", () => {
  it("groups by provider and payment, deduplicates by provider and event", () => {
    // Act
    const message = paymentQueueMessage(event);

    // Assess
    expect(message.MessageGroupId).toBe("payu:403993715531077182");
    expect(message.MessageDeduplicationId).toBe("payu:403993715531077182:success");
    expect(parsePaymentEventMessage(message.MessageBody)).toEqual(event);
  });

  it("hashes ids SQS would refuse, into ids it accepts, deterministically", () => {
    // Prepare
    const long = { provider: "stripe" as const, eventId: "e".repeat(200), paymentId: "p".repeat(200) };
    const spaced = { provider: "payu" as const, eventId: "4039:in progress", paymentId: "pay é" };

    // Act
    const ids = [
      paymentMessageDeduplicationId(long),
      paymentMessageGroupId(long),
      paymentMessageDeduplicationId(spaced),
      paymentMessageGroupId(spaced),
    ];

    // Assess
    for (const id of ids) expect(id).toMatch(SQS_ID);
    expect(paymentMessageDeduplicationId(long)).toBe(ids[0]);
    expect(ids[0]).toMatch(/^stripe:sha256:[0-9a-f]{64}$/);
    expect(paymentMessageDeduplicationId({ ...long, eventId: "e".repeat(201) })).not.toBe(ids[0]);
  });

  it("keeps providers apart for the same ids", () => {
    const a = paymentMessageDeduplicationId({ provider: "stripe", eventId: "x" });
    const b = paymentMessageDeduplicationId({ provider: "razorpay", eventId: "x" });
    expect(a).not.toBe(b);
  });

  it("refuses a message body that is not a payment event", () => {
    expect(() => parsePaymentEventMessage("{")).toThrow(InvalidPaymentEventMessageError);
    expect(() => parsePaymentEventMessage(JSON.stringify({ ...event, kind: "refund" }))).toThrow(/refund/);
    expect(() => parsePaymentEventMessage(JSON.stringify({ ...event, occurredAt: "2024-05-14" }))).toThrow(
      InvalidPaymentEventMessageError,
    );
    expect(() => parsePaymentEventMessage(JSON.stringify({ ...event, amount: 10.5 }))).toThrow(
      InvalidPaymentEventMessageError,
    );
  });
});

describe("payments queue message body", () => {
  it("escapes the characters SQS refuses in a body (U+FFFE, U+FFFF), and parses back to the same event", () => {
    // Prepare: a signed event may carry any character; SQS accepts only XML's character set.
    const odd = { ...event, email: "ashish\uFFFF\uFFFE@example.com" };

    // Act
    const { MessageBody } = paymentQueueMessage(odd);

    // Assess
    expect(MessageBody).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(MessageBody).toContain("\\uffff");
    expect(parsePaymentEventMessage(MessageBody)).toEqual(odd);
  });
});
