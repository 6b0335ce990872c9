/**
 * Hostile HTTP input against a running local runtime (issue #14): whatever a client sends, the
 * runtime stays up, answers below 500, and every error it answers for the Ferry API is
 * application/problem+json. The emulated `@connections` management endpoint is the exception to
 * the content type only: it speaks the AWS wire format the SDK parses (`x-amzn-errortype`).
 * Bounded (a few hundred runs) so CI runs it; a failure prints fast-check's seed and path to
 * replay it with `fc.assert(..., { seed, path })`.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { type RawRequest, type RawResponse, rawRequest } from "#test/support/raw-http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let runtime: LocalRuntime;
forFile(startTestRuntime, async (started) => {
  runtime = started;
});

/** Percent escapes a decoder trips on, and ones it must not over-decode. */
const escapes = fc.constantFrom(
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%C0%AF",
  "%00",
  "%2F",
  "%25",
  "%ED%A0%80",
  "%FF",
  "%uD800",
);
/**
 * Path text: printable ASCII, sometimes a raw byte above 0x7F (node:http sends 0x21–0xFF; its
 * server refuses the high ones with a 400, which is worth hitting, but not on most runs).
 */
const pathText = fc.string({
  unit: fc
    .oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    )
    .map((c) => String.fromCharCode(c)),
  maxLength: 16,
});
/** A path segment a real client could send: unreserved characters and percent escapes. */
const cleanSegment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,24}$/),
  escapes,
  fc.constantFrom("tsk_1", "stripe", "razorpay", "payu", "paypal", "..", "x".repeat(300)),
);
const junkSegment = fc.oneof(
  escapes,
  pathText,
  fc.constantFrom("", ".", "..", "@connections", "tsk_1", "stripe", "payu", "paypal"),
);
/** Mostly the API's own routes with hostile segments, sometimes anything at all. */
const routePath = fc.oneof(
  fc.constantFrom("/health", "/v1/emails", "/v1/realtime/tickets", "/local/outbox", "/openapi.json"),
  cleanSegment.map((s) => `/v1/tasks/${s}`),
  cleanSegment.map((s) => `/v1/webhooks/${s}`),
  fc.tuple(cleanSegment, cleanSegment).map(([p, id]) => `/v1/payments/${p}/${id}`),
  cleanSegment.map((s) => `/_ws/@connections/${s}`),
);
const prefix = fc.constantFrom(
  "",
  "/v1",
  "/v1/emails",
  "/v1/tasks",
  "/_ws",
  "/_ws/@connections",
  "/local",
  "/ws",
);
const junkPath = fc
  .tuple(prefix, fc.array(junkSegment, { maxLength: 4 }))
  .map(([p, segments]) => `${p}${segments.map((s) => `/${s}`).join("")}` || "/");
const query = fc.oneof(
  fc.constant(""),
  pathText.map((q) => `?${q}`),
  escapes.map((e) => `?a=${e}&${e}`),
);
const path = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: routePath }, { weight: 1, arbitrary: junkPath }), query)
  .map(([p, q]) => p + q);

const method = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom("GET", "POST", "POST", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"),
  },
  { weight: 1, arbitrary: fc.constantFrom("PATCH", "CONNECT", "TRACE") },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) },
);

/** Header values node:http will send: tab, 0x20–0x7E, 0x80–0xFF (the last two rarer). */
const headerValue = fc.string({
  unit: fc
    .oneof(
      { weight: 18, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
      { weight: 1, arbitrary: fc.constant(0x09) },
    )
    .map((c) => String.fromCharCode(c)),
  maxLength: 64,
});
const contentType = fc.option(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant("application/json") },
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      'application/json; charset="utf-8"',
      "application/json; charset=utf-16",
      "application/json; charset=iso-8859-1",
      "application/json; charset=",
      ";;;",
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/problem+json",
      "multipart/form-data; boundary=x",
    ),
    headerValue,
  ),
  { nil: undefined },
);
const authorization = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: fc.constant("Bearer ferry-dev-key") },
    {
      weight: 1,
      arbitrary: fc.constantFrom("Bearer", "Bearer ", "Basic Zm9vOmJhcg==", `Bearer ${"k".repeat(5000)}`),
    },
    { weight: 1, arbitrary: headerValue },
  ),
  { nil: undefined },
);
const headers = fc
  .record({
    "content-type": contentType,
    authorization,
    "idempotency-key": fc.option(headerValue, { nil: undefined }),
    "x-request-id": fc.option(headerValue, { nil: undefined }),
    "stripe-signature": fc.option(headerValue, { nil: undefined }),
    "x-razorpay-signature": fc.option(headerValue, { nil: undefined }),
    "x-razorpay-event-id": fc.option(headerValue, { nil: undefined }),
  })
  .map(
    (h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );

/** Any string JavaScript can hold: emoji, U+FFFF, RTL marks, lone surrogates, controls. */
const anyText = fc.string({ unit: "binary", maxLength: 40 });
/** Usually a valid email, so its hostile text goes all the way to the queue. */
const emailBody = fc
  .record({
    to: fc.oneof(
      { weight: 4, arbitrary: fc.constant(["ada@example.com"]) },
      { weight: 1, arbitrary: anyText },
    ),
    subject: fc.oneof(
      anyText.filter((t) => t.length > 0),
      fc.constantFrom("Hello \u{1F600}", "\u202Eevil", "a\uFFFFb", "lone \uD800", "\u00e9t\u00e9"),
    ),
    text: anyText,
    tags: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.dictionary(anyText, anyText, { maxKeys: 3 }) },
    ),
  })
  .map((b) => JSON.stringify(b));
const body = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: emailBody.map((s) => Buffer.from(s, "utf8")) },
    emailBody.map((s) => Buffer.from(s, "utf8")),
    fc.json().map((s) => Buffer.from(s, "utf8")),
    anyText.map((s) => Buffer.from(s, "utf8")),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.constantFrom('{"a":', "[]", "null", '"\\ud800"', "{}", "\uFEFF{}").map((s) => Buffer.from(s, "utf8")),
  ),
  { nil: undefined },
);

/** The API's routes, method and path right, so the hostile headers and bodies reach the handlers. */
const routed = fc.oneof(
  fc.record({ method: fc.constant("POST"), path: fc.constant("/v1/emails") }),
  fc.record({ method: fc.constant("POST"), path: fc.constant("/v1/realtime/tickets") }),
  fc.record({ method: fc.constant("GET"), path: cleanSegment.map((s) => `/v1/tasks/${s}`) }),
  fc.record({
    method: fc.constant("POST"),
    path: fc.constantFrom("stripe", "razorpay", "payu").map((p) => `/v1/webhooks/${p}`),
  }),
  fc.record({ method: fc.constant("GET"), path: cleanSegment.map((s) => `/v1/payments/stripe/${s}`) }),
  fc.record({
    method: fc.constantFrom("GET", "POST", "DELETE"),
    path: cleanSegment.map((s) => `/_ws/@connections/${s}`),
  }),
);
const hostileRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    target: fc.oneof(routed, fc.record({ method, path })),
    headers,
    body,
  })
  .map(({ target, headers, body }) => ({ ...target, headers, ...(body ? { body } : {}) }));

const isManagementPath = (p: string) => p.startsWith("/_ws/@connections/");

async function stillServing(): Promise<void> {
  const res = await rawRequest(runtime.url, { method: "GET", path: "/health" });
  expect(res.status).toBe(200);
}

function checkAnswer(req: RawRequest, res: RawResponse): void {
  expect(res.status, `${req.method} ${req.path}`).toBeLessThan(500);
  if (res.status >= 400 && req.method !== "HEAD" && !isManagementPath(req.path)) {
    expect(res.headers["content-type"], `${req.method} ${req.path} → ${res.status}`).toMatch(
      /^application\/problem\+json/,
    );
  }
}

describe("hostile HTTP input", () => {
  it("answers a malformed @connections id with 400 and keeps serving", async () => {
    // Act
    const res = await rawRequest(runtime.url, { method: "GET", path: "/_ws/@connections/%ZZ" });

    // Assess
    expect(res.status).toBe(400);
    expect(res.headers["x-amzn-errortype"]).toBe("BadRequestException");
    await stillServing();
  });

  it("answers an unparseable request line with a 400 problem+json", async () => {
    // Act
    const res = await rawRequest(runtime.url, { method: "FOO", path: "/health" });

    // Assess
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    await stillServing();
  });

  it("answers targets a URL parser reads as a host (//%ZZ, //a/b) as a 404 problem+json", async () => {
    for (const path of ["//%ZZ?", "//a/b", "//local/faults"]) {
      const res = await rawRequest(runtime.url, { method: "GET", path });
      checkAnswer({ method: "GET", path, headers: {} }, res);
      expect(res.status, path).toBe(404);
    }
    await stillServing();
  });

  it("never crashes, never answers 5xx, and answers every API error as problem+json", async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (req) => {
        const res = await rawRequest(runtime.url, req);
        checkAnswer(req, res);
      }),
      { numRuns: 300 },
    );
    await stillServing();
  }, 90_000);
});
