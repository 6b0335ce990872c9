/**
 * SQS message bodies carry any JSON value unchanged (issue #14): the producers escape every
 * character outside printable ASCII, so neither real SQS (which refuses U+FFFF and lone
 * surrogates) nor fauxqs (which also refuses everything above U+FFFF) can turn an event away.
 */
import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SqsEmulator } from "#infra/local/aws/sqs-emulator.ts";
import { payments } from "#shared/app/payments.ts";
import { enqueuePaymentEvent } from "#shared/payments/enqueue-event.ts";
import { type PaymentEvent, parsePaymentEventMessage } from "#shared/payments/payment-event.ts";
import { sqsJsonBody } from "#shared/queues/sqs-body.ts";
import { forFile } from "#test/support/for-file.ts";
import { startSqsEmulatorWithClient } from "#test/support/local-aws.ts";

/** What real SQS accepts in a body (aws-fidelity.md); ASCII-only text is inside it. */
const SQS_BODY = /^[\t\n\r\x20-\x7e]*$/;

let emulator: SqsEmulator;
let sqs: SQSClient;

forFile(
  () => startSqsEmulatorWithClient({ queues: { payments: payments.queues.payments } }),
  (started) => {
    ({ emulator, sqs } = started);
  },
);

describe("sqsJsonBody", () => {
  it("writes printable ASCII only and parses back to what plain JSON gives back, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "binary" }), (value) => {
        // Act
        const body = sqsJsonBody(value);

        // Assess
        expect(body).toMatch(SQS_BODY);
        // Plain JSON already turns -0 into 0; escaping must change nothing else.
        expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it("escapes emoji, U+FFFF and lone surrogates as \\uXXXX", () => {
    // Act
    const body = sqsJsonBody({ s: "\u{1F600}\uFFFF\uD800é" });

    // Assess
    expect(body).toBe('{"s":"\\ud83d\\ude00\\uffff\\ud800\\u00e9"}');
  });
});

describe("payments queue producer", () => {
  it("queues an event whose provider text SQS would refuse raw, and it arrives unchanged", async () => {
    // Prepare: ids and an email as a provider may send them (emoji, U+FFFF, a lone surrogate).
    const event: PaymentEvent = {
      provider: "stripe",
      eventId: "evt_\u{1F600}_\uFFFF",
      paymentId: "pi_\u202E\u{1F4B8}",
      kind: "succeeded",
      amount: 1234,
      currency: "EUR",
      email: "jos\u00e9@example.com",
      occurredAt: "2024-05-14T07:18:36.000Z",
      rawType: "payment_intent.succeeded\uD800",
    };
    const queueUrl = emulator.queueUrls.payments?.url ?? "";

    // Act
    await enqueuePaymentEvent({ sqs, queueUrl }, event);

    // Assess
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    const body = out.Messages?.[0]?.Body ?? "";
    expect(body).toMatch(SQS_BODY);
    expect(parsePaymentEventMessage(body)).toEqual(event);
  });
});
