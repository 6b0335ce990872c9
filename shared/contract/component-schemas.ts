/**
 * Named zod schemas (`meta(schema, { id })`, shared/zod/meta.ts) as a `components.schemas` map
 * whose `$ref`s point at `#/components/schemas/<id>`: the conversion the OpenAPI and the AsyncAPI
 * documents share.
 */
import * as z from "zod/mini";

export type Json = Record<string, unknown>;

export interface ComponentSchemaOptions {
  /** "input" for what Ferry reads (defaulted fields optional), "output" for what it sends (closed objects). */
  readonly io: "input" | "output";
  /** OpenAPI 3.1 is JSON Schema 2020-12, zod's default; AsyncAPI's default format is draft-07. */
  readonly target?: "draft-7";
}

export function componentSchemas(
  schemas: readonly z.ZodMiniType[],
  options: ComponentSchemaOptions,
): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const schema of schemas) {
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) throw new Error("a component schema needs meta(schema, { id })");
    if (!registry.has(schema)) registry.add(schema, { id });
  }
  const out = z.toJSONSchema(registry, {
    io: options.io,
    ...(options.target ? { target: options.target } : {}),
    uri: (id) => `#/components/schemas/${id}`,
    // Refinements (a lone surrogate, the reserved tag) cannot be said in JSON Schema; the
    // descriptions and a 400's `errors` carry them.
    unrepresentable: "any",
  }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(out.schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return out.schemas;
}
