import type * as z from "zod/mini";

/**
 * Each request body is parsed and validated once, whoever reads it first: on POST /v1/emails the
 * rate-limit cost (rate-limit-cost.ts), the suppression prefetch and the handler all read the
 * same bytes, which was three JSON.parse calls and two validations per request. Keyed by the
 * request's own Buffer (request-state.ts makes one per request; nothing writes to it).
 */
/** What safeParse answers. */
export type Validated<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: z.core.$ZodError };

const parsed = new WeakMap<Buffer, { readonly value: unknown } | undefined>();
const validated = new WeakMap<Buffer, Map<z.ZodMiniType, unknown>>();

/** The body's JSON value, or undefined when it is not valid JSON; parsed once per body. */
export function jsonOf(raw: Buffer): { readonly value: unknown } | undefined {
  if (parsed.has(raw)) return parsed.get(raw);
  let result: { readonly value: unknown } | undefined;
  try {
    result = { value: JSON.parse(raw.toString("utf8")) };
  } catch {
    result = undefined;
  }
  parsed.set(raw, result);
  return result;
}

/** `schema.safeParse(value)` for this body's JSON value, run once per body and schema. */
export function validatedOnce<S extends z.ZodMiniType>(
  raw: Buffer,
  value: unknown,
  schema: S,
): Validated<z.infer<S>> {
  const bySchema = validated.get(raw) ?? new Map<z.ZodMiniType, unknown>();
  validated.set(raw, bySchema);
  if (!bySchema.has(schema)) bySchema.set(schema, schema.safeParse(value));
  return bySchema.get(schema) as Validated<z.infer<S>>;
}
