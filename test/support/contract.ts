/**
 * The contract check every end-to-end response goes through (test/support/http.ts `call`): the
 * response's status must be documented for its operation in the generated OpenAPI document, its
 * content type must be one the document lists, its required headers present and valid, and its
 * body valid against the schema, by Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 * A handler that drifts from the document, or a document that drifts from a handler, fails the
 * test that met it, with the path and the validator's words.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { contractDocuments } from "#shared/contract/documents.ts";

type Json = Record<string, unknown>;
interface MediaDoc {
  schema: Json;
}
interface ResponseDoc {
  content?: Record<string, MediaDoc>;
  headers?: Record<string, { $ref?: string; required?: boolean; schema?: Json }>;
}
interface OperationDoc {
  responses: Record<string, ResponseDoc>;
}

const DOC_ID = "https://ferry.dev/openapi.json";
const openapi = contractDocuments().openapi as Json & {
  paths: Record<string, Record<string, OperationDoc>>;
  components: { headers: Record<string, { schema: Json }> };
};

// ajv-formats is CommonJS: its default export arrives as the module namespace's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
ajv.addSchema({ ...openapi, $id: DOC_ID });

const templates = Object.keys(openapi.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
}));

/** Paths the document does not describe: the local runtime's own, and the docs themselves. */
const OUTSIDE_CONTRACT = /^\/(local|_ws|docs|openapi\.json|asyncapi\.json)(\/|$)|^\/$/;

const essence = (contentType: string | null) => (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

export class ContractViolation extends Error {
  override readonly name = "ContractViolation";
}

function validate(pointer: string, value: unknown, where: string): void {
  const check = ajv.getSchema(`${DOC_ID}${pointer}`) ?? ajv.compile({ $ref: `${DOC_ID}${pointer}` });
  if (!check(value)) {
    throw new ContractViolation(
      `${where} does not match ${pointer}: ${ajv.errorsText(check.errors, { separator: "; " })}`,
    );
  }
}

const pointerOf = (...parts: string[]) =>
  `#/${parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;

/** Throws a ContractViolation when the response is not what the document says. */
export function checkAgainstContract(
  method: string,
  path: string,
  response: { status: number; headers: Headers; text: string; body: unknown },
): void {
  if (OUTSIDE_CONTRACT.test(path)) return;
  const where = `${method} ${path} → ${response.status}`;
  const match = templates.find((t) => t.pattern.test(path));
  const operation = match ? openapi.paths[match.template]?.[method.toLowerCase()] : undefined;
  if (!match || !operation) {
    // No such route: the catch-all answers 404 problem+json (or API Gateway refuses the bytes).
    if (response.status === 404) validate("#/components/schemas/Problem404", response.body, where);
    return;
  }
  const doc = operation.responses[String(response.status)];
  if (!doc) {
    throw new ContractViolation(`${where}: status ${response.status} is not documented for this operation`);
  }
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    const value = response.headers.get(name);
    const definition = header.$ref ? openapi.components.headers[header.$ref.split("/").at(-1) ?? ""] : header;
    if (value === null) {
      if (header.required) throw new ContractViolation(`${where}: header ${name} is required`);
      continue;
    }
    const schema = definition?.schema ?? {};
    const typed = schema.type === "integer" && /^\d+$/.test(value) ? Number(value) : value;
    const check = ajv.compile(schema);
    if (!check(typed))
      throw new ContractViolation(`${where}: header ${name}: ${ajv.errorsText(check.errors)}`);
  }
  if (response.text === "") {
    if (doc.content) throw new ContractViolation(`${where}: a body is documented but none came`);
    return;
  }
  const type = essence(response.headers.get("content-type"));
  const media = doc.content?.[type];
  if (!media) {
    throw new ContractViolation(
      `${where}: content type ${type || "(none)"} is not documented (${Object.keys(doc.content ?? {}).join(", ")})`,
    );
  }
  validate(
    pointerOf(
      "paths",
      match.template,
      method.toLowerCase(),
      "responses",
      String(response.status),
      "content",
      type,
      "schema",
    ),
    response.body,
    where,
  );
}
