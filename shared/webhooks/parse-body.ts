/** Body parsing shared by the normalisers: every failure becomes a MalformedWebhookBodyError. */
import type * as z from "zod/mini";
import { MalformedWebhookBodyError } from "./errors.ts";

export function parseJsonBody(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new MalformedWebhookBodyError("The body is not valid JSON.");
  }
}

/** Validates with a schema; the detail names the fields at fault (values are never echoed). */
export function expectShape<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join(".") || "(root)");
    throw new MalformedWebhookBodyError(`${what} is malformed at: ${[...new Set(fields)].join(", ")}.`);
  }
  return result.data;
}

/**
 * Provider timestamps Ferry accepts: from 2000 (before any of these providers existed) to a day
 * past our clock (far more than any real skew). Anything outside is not a real event time, and
 * left unchecked it breaks things later: `new Date(1e18)` throws, and a year past 9999 no longer
 * has the fixed-width ISO form the payment script orders events by.
 */
export const EARLIEST_PROVIDER_TIME = Date.UTC(2000, 0, 1);
export const PROVIDER_CLOCK_AHEAD_MS = 24 * 60 * 60 * 1000;

export function isPlausibleProviderTime(ms: number, now: Date): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST_PROVIDER_TIME && ms <= now.getTime() + PROVIDER_CLOCK_AHEAD_MS;
}

/**
 * Unix seconds (as providers send them) to the fixed-width ISO form payment events use. A value
 * out of range is a malformed body (400), never an exception that would become a 500.
 */
export function isoFromUnixSeconds(seconds: number, now: Date, field: string): string {
  const ms = seconds * 1000;
  if (!isPlausibleProviderTime(ms, now)) {
    throw new MalformedWebhookBodyError(
      `The field ${field} is not a plausible event time (after 2000, at most a day ahead of our clock).`,
    );
  }
  return new Date(ms).toISOString();
}
