/**
 * JSON body parsing and zod validation. Written here rather than with @middy/http-json-body-parser
 * because Ferry's contract needs 400 (not 422) for malformed JSON and field-level errors in the
 * problem body; the size limit (413) is enforced for every route in request-state.ts.
 * A JSON route takes `application/json` (or a `+json` type) in UTF-8, the only encoding JSON
 * has (RFC 8259): a missing or malformed Content-Type, another type or another declared
 * charset is a 415, never a body decoded as something the client did not send.
 */
import type * as z from "zod/mini";
import "#shared/zod/messages.ts";
import { jsonOf, validatedOnce } from "#shared/body-json.ts";
import { type MediaType, parseMediaType } from "./content-type.ts";
import type { FieldError } from "./errors.ts";
import { badRequest, unsupportedMediaType, validationFailed } from "./errors.ts";

export function zodErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** WHATWG's Encoding Standard reads both labels as UTF-8; clients send either. */
const UTF8_LABELS = new Set(["utf-8", "utf8"]);

const isJson = (type: MediaType) => type.essence === "application/json" || type.essence.endsWith("+json");

export function parseJsonBody<S extends z.ZodMiniType>(
  raw: Buffer,
  contentType: string | undefined,
  schema: S,
): z.infer<S> {
  const type = parseMediaType(contentType);
  if (!type || !isJson(type)) {
    throw unsupportedMediaType("Send the body as application/json (Content-Type: application/json).");
  }
  const charset = type.parameters.charset;
  if (charset !== undefined && !UTF8_LABELS.has(charset.toLowerCase())) {
    throw unsupportedMediaType(
      `JSON is read as UTF-8 only; the body declares charset=${JSON.stringify(charset.slice(0, 40))}.`,
    );
  }
  if (raw.byteLength === 0) throw badRequest("The request body is empty; a JSON object is required.");
  const json = jsonOf(raw);
  if (!json) throw badRequest("The request body is not valid JSON.");
  const result = validatedOnce(raw, json.value, schema);
  if (!result.success) throw validationFailed(zodErrors(result.error));
  return result.data;
}

export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodErrors(result.error));
  return result.data;
}
