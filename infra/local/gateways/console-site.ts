/**
 * The web console at `/`: the static files in console/ (plain HTML, CSS and native ES modules; no
 * build step), served as they are on disk so an edit shows on the next reload. The one dynamic
 * answer is /console/defaults.json, the dev API key, so a new user need not type anything; the
 * console itself decides everything else (its API base URL defaults to the page's own origin).
 *
 * Only names of the form `/console/<letters, digits, -, _>/….{js,css,svg}` are served, from
 * console/ and nowhere else: no path a request spells can reach another file.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROBLEM_BASE } from "#shared/http/errors.ts";

const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "console");

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

const ASSET = /^\/console\/((?:[a-z0-9_-]+\/)*[a-z0-9_-]+\.(js|css|svg))$/;

// The page talks to whatever API the user enters (a deployed stack included), so connect-src is
// open to http(s) and ws(s); everything else comes from this origin only.
const HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; connect-src 'self' http: https: ws: wss:; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const notFound = (file: string) =>
  JSON.stringify({
    type: `${PROBLEM_BASE}not-found`,
    title: "Not found",
    status: 404,
    detail: `No console file ${file}.`,
  });

export interface ConsoleSite {
  /** Answers the request and returns true when it is one of the console's paths. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean) {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...HEADERS });
  res.end(head ? undefined : body);
}

export function createConsoleSite(options: { devApiKey: () => string; dir?: string }): ConsoleSite {
  const dir = options.dir ?? CONSOLE_DIR;
  const serveFile = (res: ServerResponse, file: string, type: string, head: boolean) =>
    readFile(join(dir, file)).then(
      (bytes) => send(res, 200, type, bytes, head),
      () => send(res, 404, "application/problem+json", notFound(file), head),
    );
  return {
    handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const head = req.method === "HEAD";
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path === "/" || path === "/index.html") {
        req.resume();
        void serveFile(res, "index.html", TYPES.html as string, head);
        return true;
      }
      if (path === "/console/defaults.json") {
        req.resume();
        send(res, 200, "application/json", JSON.stringify({ apiKey: options.devApiKey() }), head);
        return true;
      }
      const asset = ASSET.exec(path);
      if (!asset?.[1] || !asset[2]) return false;
      req.resume();
      void serveFile(res, asset[1], TYPES[asset[2]] as string, head);
      return true;
    },
  };
}
