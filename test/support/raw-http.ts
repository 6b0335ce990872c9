/**
 * One HTTP request sent with node:http, byte for byte as given: unlike fetch, it keeps a
 * malformed path (`%ZZ`), any method token and a body on any method, which is what a hostile
 * client sends. A new connection per request, so one broken exchange cannot spoil the next.
 */
import { request } from "node:http";

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: {
          connection: "close",
          ...(req.body ? { "content-length": String(req.body.length) } : {}),
          ...req.headers,
        },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.once("error", reject);
      },
    );
    // node:http hands the answer to a CONNECT to this event, with the body still on the socket.
    outgoing.once("connect", (res, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.once("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      socket.once("error", reject);
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.once("error", reject);
    outgoing.end(req.body);
  });
}
