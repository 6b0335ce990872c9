/**
 * Classic zod's `.meta(data)` for zod/mini schemas: a clone of the schema with `data` in the
 * global registry, where the contract generator (shared/contract/) finds ids and descriptions.
 * Not mini's own `x.check(z.meta(data))`: a check is attached again to every later clone of the
 * schema (each `.check()`), so an `id` would follow a derived schema into the registry, and the
 * no-op check would put every parse of a plain schema through the check runner.
 */
import * as z from "zod/mini";

export function meta<T extends z.ZodMiniType>(schema: T, data: z.core.GlobalMeta): T {
  const described = schema.clone();
  z.globalRegistry.add(described, data);
  return described;
}
