/**
 * The generated contract: valid by independent validators (the OpenAPI 3.1 JSON Schema via
 * @seriousme/openapi-schema-validator, AsyncAPI via the AsyncAPI initiative's own parser), complete
 * (every manifest route, scope and policy), and identical to the checked-in files.
 */
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { manifest } from "#shared/app/manifest.ts";
import { CONTRACT_FILES, contractDocuments, serialize } from "#shared/contract/documents.ts";

const { openapi, asyncapi } = contractDocuments();
type Operation = {
  security: Record<string, string[]>[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
};
const operationOf = (method: string, path: string) =>
  (openapi.paths as Record<string, Record<string, Operation>>)[path]?.[method.toLowerCase()];

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(structuredClone(openapi));

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("describes every manifest route with its scopes, rate-limit headers and errors", () => {
    for (const route of manifest.http.routes) {
      const op = operationOf(route.method, route.path);
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      const scopes = route.auth.kind === "apiKey" ? route.auth.scopes : undefined;
      expect(op?.security).toEqual(scopes ? [{ apiKey: [...scopes] }] : []);
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(["500", "503"]));
      if (route.rateLimit.length > 0) {
        expect(op?.responses["429"]?.headers).toHaveProperty("Retry-After");
        expect(op?.responses["429"]?.headers).toHaveProperty("RateLimit");
      }
      if (scopes) expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(["401", "403"]));
    }
  });

  it("describes the providers' deliveries as webhooks", () => {
    expect(Object.keys(openapi.webhooks as object).sort()).toEqual(["payu", "razorpay", "stripe"]);
  });
});

describe("the AsyncAPI document", () => {
  it("is valid AsyncAPI 3 with every client and server message of the protocol", async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncapi));
    const errors = diagnostics.filter((d) => d.severity === 0);

    expect(errors.map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    const names = document
      ?.allMessages()
      .all()
      .map((m) => m.id())
      .sort();
    expect(names).toEqual([
      "error",
      "ping",
      "pong",
      "subscribe",
      "subscribed",
      "taskUpdated",
      "unsubscribe",
      "unsubscribed",
    ]);
  });
});

describe("the checked-in contract", () => {
  it.each(Object.entries(CONTRACT_FILES))(
    "%s matches the code (run `npm run contract` after a change)",
    (name, file) => {
      const generated = serialize(contractDocuments()[name as keyof typeof CONTRACT_FILES]);

      expect(readFileSync(file, "utf8")).toBe(generated);
    },
  );
});
