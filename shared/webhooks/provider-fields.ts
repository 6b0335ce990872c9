/**
 * What the normalisers read the same way from every provider: amounts in minor units (bounded so
 * the payment script's arithmetic stays exact), ISO 4217 codes, and the table that turns a
 * provider's event type or status into a payment event's kind.
 */
import * as z from "zod/mini";
import { MAX_MINOR_UNITS } from "#shared/payments/payment-event.ts";

export const minorUnits = z.number().check(z.int(), z.nonnegative(), z.lte(MAX_MINOR_UNITS));

/** Three letters, upper-cased: providers send `usd` or `INR`, payments store one form. */
export const currency = z.pipe(
  z.string().check(z.regex(/^[a-zA-Z]{3}$/)),
  z.transform((c: string) => c.toUpperCase()),
);

/**
 * The kind `table` gives a provider's event type, or undefined for a type Ferry ignores. Own keys
 * only: a type such as "constructor" or "__proto__" is not in the table.
 */
export function kindFor<T extends Readonly<Record<string, string>>>(
  table: T,
  type: string,
): T[keyof T] | undefined {
  return Object.hasOwn(table, type) ? table[type as keyof T] : undefined;
}
