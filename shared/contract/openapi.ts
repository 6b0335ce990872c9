/**
 * The OpenAPI 3.1 document, generated: routes, auth and rate-limit policies from the manifest
 * (shared/app/manifest.ts), words from operations.ts, schemas from the zod schemas the handlers
 * validate with.
 *
 * Schemas go through zod 4's own `z.toJSONSchema` rather than a generator library
 * (zod-openapi, @asteasolutions/zod-to-openapi): OpenAPI 3.1 schemas ARE JSON Schema 2020-12,
 * which is zod's native target, so no translation layer is needed; it is maintained with zod
 * itself, so a zod upgrade cannot leave it behind; and it costs no dependency. A registry gives
 * named schemas (`meta(schema, { id })`) their place under components.schemas and `$ref`s to them.
 * Request schemas are converted as inputs (a defaulted `limit` is optional), responses as outputs
 * (objects closed with `additionalProperties: false`, so an undocumented field fails the contract
 * tests).
 */
import * as z from "zod/mini";
import type { AppManifest, HttpRoute } from "#shared/app/manifest.ts";
import { SCOPES } from "#shared/app/types.ts";
import { componentSchemas, type Json } from "./component-schemas.ts";
import { type HeaderParamDoc, OPERATIONS, type OperationDoc } from "./operations.ts";
import { PROBLEM_TYPES, problemSchema, problemTypesFor, problemTypeUri } from "./problems.ts";

export const API_VERSION = "1.0.0";

const PROBLEM_STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Malformed request or invalid fields",
  401: "Missing, unknown or revoked API key (or an invalid webhook signature)",
  403: "The key lacks the route's scope",
  404: "Not found",
  409: "An identical request is still in flight",
  413: "Body too large",
  415: "Unsupported Content-Type or charset",
  422: "Unprocessable (see the problem type)",
  429: "Rate limited: wait Retry-After seconds",
  500: "Internal error (no internals in the body)",
  503: "A dependency did not answer; retry after Retry-After seconds",
};

const HEADERS: Json = {
  "X-Request-Id": {
    description: "The request's id; quote it when reporting a problem",
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    description:
      'The policies applied (IETF httpapi ratelimit-headers, structured fields): `"api";q=100;w=10` — q = capacity, w = seconds to refill completely',
    schema: { type: "string" },
  },
  RateLimit: {
    description:
      '`"api";r=99;t=0` — r = units remaining, t = seconds until a request like this one is admitted',
    schema: { type: "string" },
  },
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
  Location: { description: "Where the created resource can be read", schema: { type: "string" } },
  "Idempotent-Replayed": {
    description:
      "`true` when this is the stored response of an earlier request with the same Idempotency-Key",
    schema: { type: "string", enum: ["true"] },
  },
  "WWW-Authenticate": { description: '`Bearer realm="ferry"`', schema: { type: "string" } },
};

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Inline JSON Schema of an un-named schema (parameters). */
function inline(schema: z.ZodMiniType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

function parameters(op: OperationDoc): Json[] {
  const out: Json[] = [];
  const add = (where: "path" | "query", schema: z.ZodMiniObject | undefined) => {
    if (!schema) return;
    const json = inline(schema, "input") as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      });
    }
  };
  add("path", op.params);
  add("query", op.query);
  for (const header of op.headers ?? []) out.push(headerParameter(header));
  return out;
}

const headerParameter = (header: HeaderParamDoc): Json => ({
  name: header.name,
  in: "header",
  required: header.required,
  description: header.description,
  schema: { type: "string", ...(header.maxLength ? { maxLength: header.maxLength } : {}) },
});

/** Every status a route can answer with besides its success, from what the manifest says of it. */
function errorStatuses(route: HttpRoute, op: OperationDoc): number[] {
  const statuses: number[] = [...(op.errors ?? [])];
  if (route.auth.kind === "apiKey") statuses.push(401, 403);
  if (route.auth.kind === "webhookSignature") statuses.push(400, 401, 415);
  if (op.params || op.query || op.body) statuses.push(400);
  if (op.body) statuses.push(415);
  if (route.rateLimit.length > 0) statuses.push(429);
  // `emails` costs one unit per recipient: a request costing more than the capacity is a 422.
  if (route.rateLimit.includes("emails")) statuses.push(422);
  // A body over the limit is refused before any handler logic, on every route; every route reads
  // Redis or a queue (503), and none may ever echo internals (500).
  statuses.push(413, 500, 503);
  return [...new Set(statuses)].sort((a, b) => a - b);
}

function commonHeaders(route: HttpRoute): Json {
  return {
    "X-Request-Id": { ...ref("headers", "X-Request-Id"), required: true },
    ...(route.rateLimit.length > 0
      ? { "RateLimit-Policy": ref("headers", "RateLimit-Policy"), RateLimit: ref("headers", "RateLimit") }
      : {}),
  } as Json;
}

function operation(route: HttpRoute, op: OperationDoc): Json {
  const headers = commonHeaders(route);
  const responses: Json = {
    [String(op.success.status)]: {
      description: op.success.description,
      headers: {
        ...headers,
        ...Object.fromEntries((op.success.headers ?? []).map((h) => [h, ref("headers", h)])),
      },
      content: { "application/json": { schema: ref("schemas", componentId(op.success.schema)) } },
    },
  };
  for (const status of errorStatuses(route, op)) {
    const extra: Json =
      status === 429
        ? { "Retry-After": { ...ref("headers", "Retry-After"), required: true } }
        : status === 503
          ? { "Retry-After": ref("headers", "Retry-After") }
          : status === 401 && route.auth.kind === "apiKey"
            ? { "WWW-Authenticate": ref("headers", "WWW-Authenticate") }
            : {};
    responses[String(status)] = {
      description: PROBLEM_STATUS_TEXT[status] ?? "Error",
      headers: { ...headers, ...extra },
      content: { "application/problem+json": { schema: ref("schemas", `Problem${status}`) } },
    };
  }
  const scopes = route.auth.kind === "apiKey" ? route.auth.scopes : [];
  const limits =
    route.rateLimit.length > 0
      ? `Rate-limit policies: ${route.rateLimit.map((p) => `\`${p}\``).join(", ")}.`
      : "";
  const auth =
    route.auth.kind === "apiKey"
      ? `Scope: ${scopes.map((s) => `\`${s}\``).join(", ")}.`
      : route.auth.kind === "webhookSignature"
        ? "Authenticated by the provider's signature on the raw body."
        : "No authentication.";
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: [op.description, auth, limits].filter(Boolean).join("\n\n"),
    tags: [op.tag],
    security: route.auth.kind === "apiKey" ? [{ apiKey: [...scopes] }] : [],
    "x-ferry-function": route.function,
    "x-ferry-rate-limit-policies": [...route.rateLimit],
    ...(parameters(op).length > 0 ? { parameters: parameters(op) } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              op.body.map((b) => [b.contentType, { schema: ref("schemas", componentId(b.schema)) }]),
            ),
          },
        }
      : {}),
    responses,
  };
}

function componentId(schema: z.ZodMiniType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error("request and response bodies need meta(schema, { id }) to be components");
  return id;
}

/** `Problem<status>`: the problem schema with `status` fixed and `type` one of its documented URIs. */
function problemComponents(statuses: ReadonlySet<number>): Record<string, Json> {
  return Object.fromEntries(
    [...statuses].map((status) => [
      `Problem${status}`,
      {
        allOf: [
          ref("schemas", "Problem"),
          {
            type: "object",
            properties: { status: { const: status }, type: { enum: problemTypesFor(status) } },
          },
        ],
      },
    ]),
  );
}

export interface OpenApiOptions {
  /** The server the document is served by; default the local runtime's usual address. */
  readonly serverUrl?: string;
}

/** The problem types, as a table for the document's description. */
function problemTable(): string {
  const rows = Object.entries(PROBLEM_TYPES).map(
    ([slug, doc]) => `| \`${problemTypeUri(slug)}\` | ${doc.statuses.join(", ")} | ${doc.description} |`,
  );
  return ["| type | status | meaning |", "|---|---|---|", ...rows].join("\n");
}

export function buildOpenApi(manifest: AppManifest, options: OpenApiOptions = {}): Json {
  const missing = manifest.http.routes
    .map((r) => `${r.method} ${r.path}`)
    .filter((key) => !(key in OPERATIONS));
  if (missing.length > 0)
    throw new Error(
      `routes without an OpenAPI operation (shared/contract/operations.ts): ${missing.join(", ")}`,
    );
  const unknown = Object.keys(OPERATIONS).filter(
    (key) => !manifest.http.routes.some((r) => `${r.method} ${r.path}` === key),
  );
  if (unknown.length > 0)
    throw new Error(`OpenAPI operations for routes the manifest does not have: ${unknown.join(", ")}`);

  const paths: Record<string, Json> = {};
  const webhooks: Record<string, Json> = {};
  const errorStatusesUsed = new Set<number>();
  const requestBodies: z.ZodMiniType[] = [];
  const responseBodies: z.ZodMiniType[] = [problemSchema];
  for (const route of manifest.http.routes) {
    const op = OPERATIONS[`${route.method} ${route.path}`] as OperationDoc;
    const built = operation(route, op);
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: built };
    for (const status of errorStatuses(route, op)) errorStatusesUsed.add(status);
    requestBodies.push(...(op.body ?? []).map((b) => b.schema));
    responseBodies.push(op.success.schema);
    // The payment providers call Ferry: their deliveries are also described as webhooks, the
    // section OpenAPI 3.1 has for requests initiated by a party other than the API's client.
    if (route.auth.kind === "webhookSignature") {
      webhooks[route.path.split("/").at(-1) ?? route.path] = {
        post: { ...built, operationId: `${op.operationId}Delivery` },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Ferry API",
      version: API_VERSION,
      summary: "Email task queue with live results, payment webhooks, token-bucket rate limiting",
      description: [
        "Errors are RFC 9457 `application/problem+json`. Every response carries `X-Request-Id`; every rate-limited one `RateLimit-Policy` and `RateLimit`, and a 429 `Retry-After`.",
        "Live task updates: WebSocket, described by the AsyncAPI document at `/asyncapi.json`.",
        "## Problem types",
        problemTable(),
      ].join("\n\n"),
    },
    servers: [{ url: options.serverUrl ?? "http://127.0.0.1:3000", description: "This Ferry" }],
    tags: [
      { name: "Emails" },
      { name: "Tasks" },
      { name: "Realtime" },
      { name: "Payments" },
      { name: "Webhooks", description: "Called by the payment providers, not by API clients" },
      { name: "Platform" },
    ],
    paths,
    webhooks,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description: `An API key: \`Authorization: Bearer <key>\`. Scopes: ${SCOPES.map((s) => `\`${s}\``).join(", ")}. Locally the dev key is \`ferry-dev-key\` (every scope).`,
        },
      },
      headers: HEADERS,
      schemas: {
        ...componentSchemas(requestBodies, { io: "input" }),
        ...componentSchemas(responseBodies, { io: "output" }),
        ...problemComponents(errorStatusesUsed),
      },
    },
  };
}
