import { describe, expect, it } from "vitest";
import { headerValue, rawBodyOf } from "#shared/webhooks/request.ts";

describe("webhook request helpers", () => {
  it("decodes a base64 body to the exact bytes sent", () => {
    // Prepare: bytes that are not valid UTF-8 must survive too.
    const bytes = Buffer.from([0x61, 0x3d, 0xe9, 0x26, 0x62, 0x3d, 0xff, 0x00]);

    // Act
    const decoded = rawBodyOf({ body: bytes.toString("base64"), isBase64Encoded: true });

    // Assess
    expect(decoded.equals(bytes)).toBe(true);
  });

  it("keeps a text body's UTF-8 bytes", () => {
    const body = '{"name":"Zoë","amount":1000}';
    expect(rawBodyOf({ body, isBase64Encoded: false }).equals(Buffer.from(body, "utf8"))).toBe(true);
  });

  it("gives an empty buffer when there is no body", () => {
    expect(rawBodyOf({ isBase64Encoded: false }).length).toBe(0);
  });

  it("finds headers whatever their case", () => {
    const headers = { "Stripe-Signature": "t=1,v1=ab", "x-razorpay-event-id": "evt1" };
    expect(headerValue(headers, "stripe-signature")).toBe("t=1,v1=ab");
    expect(headerValue(headers, "X-Razorpay-Event-Id")).toBe("evt1");
    expect(headerValue(headers, "x-missing")).toBeUndefined();
  });
});
