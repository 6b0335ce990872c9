import Razorpay from "razorpay";
import { describe, expect, it } from "vitest";
import { InvalidWebhookSignatureError, MissingWebhookHeaderError } from "#shared/webhooks/errors.ts";
import { verifyRazorpaySignature } from "#shared/webhooks/razorpay-signature.ts";
import { rawBodyOf } from "#shared/webhooks/request.ts";
import {
  RAZORPAY_OLD_SECRET,
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayPayment,
  razorpaySignature,
} from "./support/razorpay-fixtures.ts";

const capturedBody = () => razorpayEventBody("payment.captured", { payment: { entity: razorpayPayment() } });

const verify = (body: Buffer, headers: Record<string, string>, secrets = [RAZORPAY_SECRET]) =>
  verifyRazorpaySignature({ rawBody: body, headers }, secrets);

describe("Razorpay signature verification", () => {
  it("accepts a body whose signature the razorpay SDK accepts", () => {
    // Prepare
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET);

    // Act / Assess
    expect(() => verify(body, { "x-razorpay-signature": signature })).not.toThrow();
    expect(() => verify(body, { "X-Razorpay-Signature": signature })).not.toThrow();
  });

  it("refuses a tampered body, as the SDK does", () => {
    // Prepare
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET);
    const tampered = Buffer.from(body.toString().replace('"amount":50000', '"amount":5'), "utf8");
    expect(tampered.equals(body)).toBe(false);

    // Act / Assess
    expect(() => verify(tampered, { "x-razorpay-signature": signature })).toThrow(
      InvalidWebhookSignatureError,
    );
    expect(Razorpay.validateWebhookSignature(tampered.toString(), signature, RAZORPAY_SECRET)).toBe(false);
  });

  it("refuses a body re-serialised with different spacing", () => {
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2), "utf8");
    expect(() => verify(reserialized, { "x-razorpay-signature": signature })).toThrow(
      InvalidWebhookSignatureError,
    );
  });

  it("refuses a signature made with another secret, as the SDK does", () => {
    const body = capturedBody();
    const signature = razorpaySignature(body, "someone_elses_secret");
    expect(() => verify(body, { "x-razorpay-signature": signature })).toThrow(InvalidWebhookSignatureError);
    expect(Razorpay.validateWebhookSignature(body.toString(), signature, RAZORPAY_SECRET)).toBe(false);
  });

  it("accepts both the old and the new secret while a secret is being rotated", () => {
    const body = capturedBody();
    const secrets = [RAZORPAY_SECRET, RAZORPAY_OLD_SECRET];
    for (const secret of secrets) {
      const signature = razorpaySignature(body, secret);
      expect(() => verify(body, { "x-razorpay-signature": signature }, secrets)).not.toThrow();
    }
  });

  it("accepts upper-case hex", () => {
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET).toUpperCase();
    expect(() => verify(body, { "x-razorpay-signature": signature })).not.toThrow();
  });

  it("refuses a signature that is not whole hex of the right length", () => {
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET);
    for (const bad of [signature.slice(0, 63), `${signature}00`, `${signature.slice(0, 62)}zz`]) {
      expect(() => verify(body, { "x-razorpay-signature": bad })).toThrow(InvalidWebhookSignatureError);
    }
  });

  it("refuses a delivery without the signature header as a 400", () => {
    expect(() => verify(capturedBody(), {})).toThrow(MissingWebhookHeaderError);
    expect(() => verify(capturedBody(), {})).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("verifies a base64 body from API Gateway once decoded", () => {
    const body = capturedBody();
    const signature = razorpaySignature(body, RAZORPAY_SECRET);
    const rawBody = rawBodyOf({ body: body.toString("base64"), isBase64Encoded: true });
    expect(() => verify(rawBody, { "x-razorpay-signature": signature })).not.toThrow();
  });
});
