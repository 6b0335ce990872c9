/**
 * JSON body parsing and zod validation. Written here rather than with @middy/http-json-body-parser
 * because Ferry's contract needs 400 (not 422) for malformed JSON and field-level errors in the
 * problem body; the size limit (413) is enforced for every route in request-state.ts.
 */
import type * as z from "zod";
import type { FieldError } from "./errors.ts";
import { badRequest, unsupportedMediaType, validationFailed } from "./errors.ts";

export function zodErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

export function parseJsonBody<S extends z.ZodType>(
  raw: Buffer,
  contentType: string | undefined,
  schema: S,
): z.infer<S> {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType && mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    throw unsupportedMediaType("Send the body as application/json.");
  }
  if (raw.byteLength === 0) throw badRequest("The request body is empty; a JSON object is required.");
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodErrors(result.error));
  return result.data;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodErrors(result.error));
  return result.data;
}
