/**
 * Which Content-Type a JSON route reads (issue #14, README "a non-JSON content type → 415"):
 * application/json in UTF-8 (declared or not) is read; anything else, including no header or a
 * malformed one, is a 415 problem, never a body decoded in an encoding the client did not use.
 */
import { describe, expect, it, vi } from "vitest";
import * as z from "zod/mini";
import { suppressionPrefetch } from "#shared/delivery/suppression-prefetch.ts";
import { emailRequestSchema } from "#shared/email/request.ts";
import { HttpError } from "#shared/http/errors.ts";
import { parseJsonBody } from "#shared/http/json-body.ts";
import { validatedRecipients } from "#shared/http/rate-limit-cost.ts";

const schema = z.object({ a: z.number() });
const body = Buffer.from('{"a":1}');

const statusFor = (contentType: string | undefined): number => {
  try {
    parseJsonBody(body, contentType, schema);
    return 200;
  } catch (error) {
    return error instanceof HttpError ? error.status : 500;
  }
};

describe("parseJsonBody content types", () => {
  it.each([
    "application/json",
    "Application/JSON",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/json; charset=utf8",
    "application/merge-patch+json; charset=utf-8",
    "application/json ; charset=utf-8",
    // RFC 9110 allows empty parameters.
    "application/json;",
    "application/json;;charset=utf-8",
  ])("reads %s", (contentType) => {
    // Act + Assess
    expect(statusFor(contentType)).toBe(200);
  });

  it.each([
    ["no Content-Type at all", undefined],
    ["an empty one", ""],
    ["only separators", ";;;"],
    ["a type without subtype", "json"],
    ["an unterminated quote", 'application/json; charset="utf-8'],
    ["a parameter without value", "application/json; charset"],
    ["text after a parameter", "application/json; charset=utf-8 junk"],
    ["UTF-16", "application/json; charset=utf-16"],
    ["Latin-1", "application/json; charset=iso-8859-1"],
    ["an empty charset", "application/json; charset="],
    ["a form", "application/x-www-form-urlencoded"],
    ["plain text", "text/plain; charset=utf-8"],
  ])("answers 415 to %s", (_what, contentType) => {
    // Act + Assess
    expect(statusFor(contentType)).toBe(415);
  });

  it("names the refused charset in the problem", () => {
    // Act
    const error = (() => {
      try {
        parseJsonBody(body, "application/json; charset=utf-16", schema);
      } catch (e) {
        return e as HttpError;
      }
    })();

    // Assess
    expect(error?.type).toBe("https://ferry.dev/problems/unsupported-media-type");
    expect(error?.detail).toContain('"utf-16"');
  });
});

describe("parseJsonBody field errors", () => {
  it("words them in English, though zod/mini loads no messages of its own", () => {
    // Arrange: this file loads no classic zod, whose import would install English by itself.
    const strict = z.strictObject({ a: z.number(), b: z.string().check(z.minLength(2)) });

    // Act
    const error = (() => {
      try {
        parseJsonBody(Buffer.from('{"a":"1","b":"x","c":0}'), "application/json", strict);
      } catch (e) {
        return e as HttpError;
      }
    })();

    // Assess
    expect(error?.errors).toEqual([
      { path: "a", message: "Invalid input: expected number, received string" },
      { path: "b", message: "Too small: expected string to have >=2 characters" },
      { path: "", message: 'Unrecognized key: "c"' },
    ]);
  });
});

describe("one parse per request body", () => {
  it("parses and validates POST /v1/emails' body once for the rate-limit cost, the prefetch and the handler", () => {
    const raw = Buffer.from(
      JSON.stringify({ to: ["a@example.com", "b@example.com"], subject: "s", text: "t" }),
    );
    const parse = vi.spyOn(JSON, "parse");
    const validate = vi.spyOn(emailRequestSchema, "safeParse");
    try {
      expect(validatedRecipients(raw, "application/json")).toBe(2);
      expect(suppressionPrefetch(raw).fields).toEqual(["a@example.com", "b@example.com"]);
      expect(parseJsonBody(raw, "application/json", emailRequestSchema).to).toHaveLength(2);
      expect(parse.mock.calls.filter(([text]) => text === raw.toString("utf8"))).toHaveLength(1);
      expect(validate).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
      validate.mockRestore();
    }
  });

  it("still answers each reader of an invalid body as before", () => {
    const raw = Buffer.from("{");
    expect(validatedRecipients(raw, "application/json")).toBe(0);
    expect(suppressionPrefetch(raw).fields).toEqual([]);
    expect(() => parseJsonBody(raw, "application/json", emailRequestSchema)).toThrow(HttpError);
  });
});
