import { describe, expect, it } from "vitest";
import { MalformedWebhookBodyError } from "#shared/webhooks/errors.ts";
import { ingestWebhook } from "#shared/webhooks/ingest.ts";
import {
  PAYU_KEY,
  PAYU_SALT,
  payuCallbackFields,
  payuFormBody,
  payuOracleHash,
  signedPayuCallback,
} from "./support/payu-fixtures.ts";

const NOW = new Date("2024-05-14T10:00:00.000Z");
const secrets = { payu: { keys: [PAYU_KEY], salts: [PAYU_SALT] } };

const ingest = (body: Buffer) =>
  ingestWebhook(
    "payu",
    { rawBody: body, headers: { "content-type": "application/x-www-form-urlencoded" } },
    {
      secrets,
      now: NOW,
    },
  );

describe("PayU callbacks normalised", () => {
  it.each([
    ["success", "succeeded"],
    ["failure", "failed"],
    ["pending", "pending"],
  ] as const)(
    "status %s becomes a %s event on the txnid (the hashed id), with mihpayid as data",
    (status, kind) => {
      // Prepare
      const { body, fields } = signedPayuCallback({
        mihpayid: "403993715531077182",
        txnid: "txn_ferry_42",
        status,
        amount: "999.99",
        addedon: "2024-05-14 12:48:36",
      });

      // Act
      const result = ingest(body);

      // Assess: addedon is IST (UTC+05:30); it dates the event but, unsigned, never orders it.
      expect(result).toEqual({
        kind: "payment",
        event: {
          provider: "payu",
          eventId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
          paymentId: "txn_ferry_42",
          reference: "403993715531077182",
          kind,
          amount: 99_999,
          currency: "INR",
          email: "ashish@example.com",
          occurredAt: "2024-05-14T07:18:36.000Z",
          unsignedTime: true,
          rawType: status,
        },
      });
      expect(fields.txnid).toBe("txn_ferry_42");
    },
  );

  it.each([
    ["10.5", 1050],
    ["10", 1000],
    ["1.15", 115],
  ])("amount %s is %i paise exactly", (amount, minor) => {
    const result = ingest(signedPayuCallback({ amount }).body);
    expect(result.kind === "payment" && result.event.amount).toBe(minor);
  });

  it("normalises a callback that carries additional_charges", () => {
    const result = ingest(signedPayuCallback({ amount: "100.00", additionalCharges: "2.36" }).body);
    expect(result.kind === "payment" && result.event).toMatchObject({ kind: "succeeded", amount: 10_000 });
  });

  it("falls back to the receiving time when addedon is missing or unreadable", () => {
    const result = ingest(signedPayuCallback({ addedon: "yesterday" }).body);
    expect(result.kind === "payment" && result.event.occurredAt).toBe(NOW.toISOString());
  });

  it("acknowledges other statuses as ignored", () => {
    const result = ingest(signedPayuCallback({ status: "in progress" }).body);
    expect(result).toMatchObject({ kind: "ignored", provider: "payu", type: "in progress" });
  });

  it("refuses a signed callback whose amount is not a decimal amount", () => {
    expect(() => ingest(signedPayuCallback({ amount: "10.505" }).body)).toThrow(MalformedWebhookBodyError);
  });

  it("falls back to the receiving time when addedon names a date that does not exist or is implausible", () => {
    for (const addedon of [
      "2024-02-31 10:00:00",
      "2024-05-14 25:00:00",
      "1970-01-01 00:00:00",
      "9999-12-31 23:59:59",
    ]) {
      const result = ingest(signedPayuCallback({ addedon }).body);
      expect(result.kind === "payment" && result.event.occurredAt).toBe(NOW.toISOString());
    }
  });
});

describe("what the PayU hash does not cover changes nothing that matters", () => {
  it("gives a genuine form the same identity, payment and amount whatever its mihpayid, currency and addedon", () => {
    // Prepare: one genuine form, and the same form as its recipient could re-post it.
    const fields = payuCallbackFields({ status: "success", amount: "10.00" });
    const hash = payuOracleHash(fields, PAYU_SALT);
    const reposted = {
      ...fields,
      mihpayid: "999999999999999999",
      currency: "USD",
      addedon: "2030-01-01 00:00:00",
    };

    // Act
    const [original, copy] = [payuFormBody(fields, hash), payuFormBody(reposted, hash)].map(ingest);

    // Assess
    if (original?.kind !== "payment" || copy?.kind !== "payment") throw new Error("expected payment events");
    expect(copy.event.eventId).toBe(original.event.eventId);
    expect(copy.event).toMatchObject({
      paymentId: fields.txnid,
      amount: 1000,
      currency: "INR",
      kind: "succeeded",
    });
  });

  it("gives forms that differ in a hashed field different identities", () => {
    const a = ingest(signedPayuCallback({ status: "success" }).body);
    const b = ingest(signedPayuCallback({ status: "success" }).body);
    expect(a.kind === "payment" && a.event.eventId).not.toBe(b.kind === "payment" && b.event.eventId);
  });
});

describe("signed PayU callbacks the worker could not apply are refused at ingest", () => {
  it.each([
    ["a 300-character txnid", { txnid: "t".repeat(300) }],
    ["a 300-character mihpayid", { mihpayid: "9".repeat(300) }],
    ["a 342-character email", { email: `${"e".repeat(330)}@example.com` }],
    ["a txnid containing |, which could shift hashed text across fields", { txnid: "txn|1" }],
  ])("%s is a malformed body (400)", (_label, init) => {
    expect(() => ingest(signedPayuCallback(init).body)).toThrow(MalformedWebhookBodyError);
  });
});
