/** The local runtime serves the contract for its own URLs, and the docs page, offline. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { contractDocuments } from "#shared/contract/documents.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt?.stop());

describe("the local runtime's contract and docs", () => {
  it("serves /openapi.json and /asyncapi.json naming its own URLs", async () => {
    const expected = contractDocuments({ apiUrl: rt.url, wsUrl: rt.wsUrl });

    const openapi = (await (await fetch(`${rt.url}/openapi.json`)).json()) as { servers: unknown };
    const asyncapi = await (await fetch(`${rt.url}/asyncapi.json`)).json();

    expect(openapi).toEqual(expected.openapi);
    expect(openapi.servers).toEqual([{ url: rt.url, description: "This Ferry" }]);
    expect(asyncapi).toEqual(expected.asyncapi);
  });

  it("serves /docs with its assets from the installed package, with the dev key filled in", async () => {
    const page = await fetch(`${rt.url}/docs`);
    const html = await page.text();
    const bundle = await fetch(`${rt.url}/docs/swagger-ui-bundle.js`);
    const css = await fetch(`${rt.url}/docs/swagger-ui.css`);

    expect(page.status).toBe(200);
    expect(html).toContain('src="/docs/swagger-ui-bundle.js"');
    expect(html).toContain('url: "/openapi.json"');
    expect(html).toContain(JSON.stringify(rt.devApiKey));
    // Offline: nothing is loaded from another origin.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect(css.headers.get("content-type")).toContain("text/css");
  });

  it("still answers unknown paths with the API's 404", async () => {
    const res = await fetch(`${rt.url}/docs/../../etc/passwd`);
    const other = await fetch(`${rt.url}/docs/package.json`);

    expect(res.status).toBe(404);
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
  });
});
