/**
 * The contract as the local runtime serves it: /openapi.json and /asyncapi.json generated for its
 * own URLs (shared/contract/), and /docs, Swagger UI from the swagger-ui-dist package (served from
 * node_modules, so it works offline), with "Try it out" pointed at this runtime and the dev key
 * already filled in. (`/` is the console: console-site.ts.)
 *
 * Swagger UI over Scalar or Redoc: its dist is plain static files with no network fetches (Scalar's
 * standalone bundle loads fonts from a CDN unless configured not to; Redoc has no "try it"), it
 * renders OpenAPI 3.1, and it is the most used of the three.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ContractUrls, contractDocuments } from "#shared/contract/documents.ts";

const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

export interface DocsSite {
  /** Answers the request and returns true when it is one of the docs paths. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...extra });
  res.end(body);
}

const page = (devApiKey: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Ferry API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" href="/docs/favicon-32x32.png">
</head>
<body>
  <p style="font-family:sans-serif;margin:1em 2em">Ferry, local runtime. Live task updates over WebSocket:
  <a href="/asyncapi.json">AsyncAPI document</a>. Requests below go to this runtime with the dev key.</p>
  <div id="ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    const ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#ui",
      tryItOutEnabled: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      onComplete: () => ui.preauthorizeApiKey("apiKey", ${JSON.stringify(devApiKey)}),
    });
  </script>
</body>
</html>
`;

export function createDocsSite(options: { urls: () => ContractUrls; devApiKey: () => string }): DocsSite {
  const distDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  let documents: ReturnType<typeof contractDocuments> | undefined;
  const docs = () => {
    documents ??= contractDocuments(options.urls());
    return documents;
  };
  return {
    handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path === "/openapi.json" || path === "/asyncapi.json") {
        req.resume();
        const doc = path === "/openapi.json" ? docs().openapi : docs().asyncapi;
        send(res, 200, "application/json", JSON.stringify(doc), { "cache-control": "no-store" });
        return true;
      }
      if (path === "/docs" || path === "/docs/") {
        req.resume();
        send(res, 200, "text/html; charset=utf-8", page(options.devApiKey()), {
          "cache-control": "no-store",
        });
        return true;
      }
      const asset = path.startsWith("/docs/") ? path.slice("/docs/".length) : undefined;
      const type = asset ? ASSETS[asset] : undefined;
      if (!asset || !type) return false;
      req.resume();
      readFile(join(distDir, asset)).then(
        (bytes) => send(res, 200, type, bytes, { "cache-control": "public, max-age=3600" }),
        () => send(res, 500, "text/plain; charset=utf-8", "swagger-ui-dist is not installed\n"),
      );
      return true;
    },
  };
}
