/**
 * Stands in for a deployed stack, as the console sees one: another origin, in front of a local
 * runtime, that answers CORS (as the stack's allowed-console-origins setting makes API Gateway
 * do) and has no /local/* routes (a deployed stack has no outbox, DLQ or fault API over HTTP).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "#test/support/read-body.ts";

export interface DeployedStack {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDeployedStack(target: string, allowedOrigin: string): Promise<DeployedStack> {
  const cors = {
    "access-control-allow-origin": allowedOrigin,
    "access-control-allow-headers": "authorization, content-type, idempotency-key",
    "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
    "access-control-expose-headers": "x-request-id",
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? "/";
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    if (path.startsWith("/local/")) {
      res.writeHead(404, { ...cors, "content-type": "application/problem+json" });
      return void res.end(JSON.stringify({ type: "about:blank", title: "Not Found", status: 404 }));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && !["host", "origin", "connection"].includes(name))
        headers[name] = value;
    }
    const upstream = await fetch(target + path, {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, {
      ...cors,
      "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
    });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
