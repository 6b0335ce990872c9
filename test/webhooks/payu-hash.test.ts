import { describe, expect, it } from "vitest";
import {
  InvalidWebhookSignatureError,
  MalformedWebhookBodyError,
  MissingWebhookHeaderError,
} from "#shared/webhooks/errors.ts";
import { parsePayuForm, verifyPayuHash } from "#shared/webhooks/payu-hash.ts";
import { rawBodyOf } from "#shared/webhooks/request.ts";
import {
  PAYU_KEY,
  PAYU_OLD_SALT,
  PAYU_SALT,
  payuCallbackFields,
  payuFormBody,
  payuOracleHash,
  signedPayuCallback,
} from "./support/payu-fixtures.ts";

const credentials = { keys: [PAYU_KEY], salts: [PAYU_SALT] };
const verify = (body: Buffer, creds = credentials) => verifyPayuHash(parsePayuForm(body), creds);

describe("PayU response hash verification", () => {
  it("accepts a callback hashed by payu-websdk", () => {
    const { body } = signedPayuCallback();
    expect(() => verify(body)).not.toThrow();
  });

  it("accepts a callback with additional_charges (prefixed to the hash input)", () => {
    // Prepare
    const { body, fields } = signedPayuCallback({ additionalCharges: "12.50" });
    expect(fields.additional_charges).toBe("12.50");

    // Act / Assess
    expect(() => verify(body)).not.toThrow();
  });

  it("refuses additional_charges that were posted but not hashed", () => {
    // Prepare: hash made without charges, charges then added to the form.
    const fields = payuCallbackFields();
    const hash = payuOracleHash(fields, PAYU_SALT);
    const body = payuFormBody({ ...fields, additional_charges: "12.50" }, hash);

    // Act / Assess
    expect(() => verify(body)).toThrow(InvalidWebhookSignatureError);
  });

  it("refuses a tampered amount or status", () => {
    const { fields, hash } = signedPayuCallback({ status: "failure" });
    expect(() => verify(payuFormBody({ ...fields, amount: "1.00" }, hash))).toThrow(
      InvalidWebhookSignatureError,
    );
    expect(() => verify(payuFormBody({ ...fields, status: "success" }, hash))).toThrow(
      InvalidWebhookSignatureError,
    );
  });

  it("refuses a hash made with another salt", () => {
    const { body } = signedPayuCallback({}, "not_our_salt");
    expect(() => verify(body)).toThrow(InvalidWebhookSignatureError);
  });

  it("refuses a callback for another merchant key even when its hash is consistent", () => {
    const { body } = signedPayuCallback({ key: "OtherK" });
    expect(() => verify(body)).toThrow(InvalidWebhookSignatureError);
  });

  it("accepts both the old and the new salt while the salt is being rotated", () => {
    const rotating = { keys: [PAYU_KEY], salts: [PAYU_SALT, PAYU_OLD_SALT] };
    for (const salt of [PAYU_SALT, PAYU_OLD_SALT]) {
      const { body } = signedPayuCallback({}, salt);
      expect(() => verify(body, rotating)).not.toThrow();
    }
  });

  it("accepts an upper-case hex hash", () => {
    const { fields, hash } = signedPayuCallback();
    expect(() => verify(payuFormBody(fields, hash.toUpperCase()))).not.toThrow();
  });

  it("refuses a callback without a hash field as a 400", () => {
    const body = Buffer.from(new URLSearchParams(payuCallbackFields()).toString(), "utf8");
    expect(() => verify(body)).toThrow(MissingWebhookHeaderError);
    expect(() => verify(body)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("refuses a JSON or empty body as malformed", () => {
    const { fields, hash } = signedPayuCallback();
    expect(() => verify(Buffer.from(JSON.stringify({ ...fields, hash })))).toThrow(MalformedWebhookBodyError);
    expect(() => verify(Buffer.alloc(0))).toThrow(MalformedWebhookBodyError);
  });

  it("verifies the base64 form API Gateway hands over once decoded", () => {
    // Prepare: HTTP APIs base64-encode form posts by default.
    const { body } = signedPayuCallback({ additionalCharges: "3.00" });
    const event = { body: body.toString("base64"), isBase64Encoded: true };

    // Act / Assess
    expect(() => verify(rawBodyOf(event))).not.toThrow();
    expect(() => verify(Buffer.from(event.body, "utf8"))).toThrow();
  });
});
