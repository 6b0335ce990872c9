/** Body parsing shared by the normalisers: every failure becomes a MalformedWebhookBodyError. */
import type * as z from "zod";
import { MalformedWebhookBodyError } from "./errors.ts";

export function parseJsonBody(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new MalformedWebhookBodyError("The body is not valid JSON.");
  }
}

/** Validates with a schema; the detail names the fields at fault (values are never echoed). */
export function expectShape<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join(".") || "(root)");
    throw new MalformedWebhookBodyError(`${what} is malformed at: ${[...new Set(fields)].join(", ")}.`);
  }
  return result.data;
}

/** Unix seconds (as providers send them) to the fixed-width ISO form payment events use. */
export function isoFromUnixSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
