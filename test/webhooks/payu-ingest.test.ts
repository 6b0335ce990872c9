import { describe, expect, it } from "vitest";
import { MalformedWebhookBodyError } from "#shared/webhooks/errors.ts";
import { ingestWebhook } from "#shared/webhooks/ingest.ts";
import { PAYU_KEY, PAYU_SALT, signedPayuCallback } from "./support/payu-fixtures.ts";

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
    "status %s becomes a %s event on the mihpayid, deduplicated on mihpayid and status",
    (status, kind) => {
      // Prepare
      const { body } = signedPayuCallback({
        mihpayid: "403993715531077182",
        status,
        amount: "999.99",
        addedon: "2024-05-14 12:48:36",
      });

      // Act
      const result = ingest(body);

      // Assess: addedon is IST (UTC+05:30).
      expect(result).toEqual({
        kind: "payment",
        event: {
          provider: "payu",
          eventId: `403993715531077182:${status}`,
          paymentId: "403993715531077182",
          kind,
          amount: 99_999,
          currency: "INR",
          email: "ashish@example.com",
          occurredAt: "2024-05-14T07:18:36.000Z",
          rawType: status,
        },
      });
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
    const result = ingest(signedPayuCallback({ mihpayid: "403993715531077183", status: "in progress" }).body);
    expect(result).toEqual({
      kind: "ignored",
      provider: "payu",
      eventId: "403993715531077183:in progress",
      type: "in progress",
    });
  });

  it("refuses a signed callback whose amount is not a decimal amount", () => {
    expect(() => ingest(signedPayuCallback({ amount: "10.505" }).body)).toThrow(MalformedWebhookBodyError);
  });
});
