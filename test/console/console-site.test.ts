/** The local runtime serves the console's files at `/` and /console/*, and nothing else from disk. */
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { rawRequest } from "#test/support/raw-http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let rt: LocalRuntime;
forFile(startTestRuntime, (runtime) => {
  rt = runtime;
});

describe("the console's files", () => {
  it("serves the page at / with a policy that loads code from this origin only", async () => {
    const res = await fetch(`${rt.url}/`);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html).toContain('<script type="module" src="/console/js/app.js"></script>');
    // Offline: nothing is loaded from another origin.
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it("serves its modules and styles with their types, and the dev key as its defaults", async () => {
    const app = await fetch(`${rt.url}/console/js/app.js`);
    const css = await fetch(`${rt.url}/console/style.css`);
    const defaults = await fetch(`${rt.url}/console/defaults.json`);

    expect(app.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await app.text()).toContain("import");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await defaults.json()).toEqual({ apiKey: rt.devApiKey });
  });

  it("answers a missing file or any path out of console/ with a problem+json 404", async () => {
    const missing = await fetch(`${rt.url}/console/js/nope.js`);
    // Sent as written: fetch would resolve the dot segments before sending.
    const escaped = await rawRequest(rt.url, { method: "GET", path: "/console/../package.json" });
    const encoded = await fetch(`${rt.url}/console/js/%2e%2e%2f%2e%2e%2fpackage.json`);
    const otherType = await fetch(`${rt.url}/console/index.html`);

    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(escaped.status).toBe(404);
    expect(escaped.body.toString()).not.toContain('"name": "ferry"');
    expect(encoded.status).toBe(404);
    expect(otherType.status).toBe(404);
  });
});
