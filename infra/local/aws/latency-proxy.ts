/**
 * FERRY_LOCAL_LATENCY_MS: the network between a Lambda function and an AWS service, played
 * locally. The emulators answer in well under a millisecond, which hides every time budget too
 * tight for a real round trip (and every call made in series that should not be). This proxy sits
 * in front of one emulator endpoint and holds every request that many milliseconds before
 * forwarding it, then streams the answer back untouched.
 */
import { Agent, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { upstreamRequest } from "./upstream-request.ts";

export const LATENCY_VARIABLE = "FERRY_LOCAL_LATENCY_MS";

export interface LatencyProxy {
  /** Use in place of the target endpoint. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** The knob's value in ms: unset or empty is 0; anything but a whole number ≥ 0 is refused. */
export function parseLatencyMs(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return 0;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${LATENCY_VARIABLE} must be a whole number of milliseconds ≥ 0, got "${raw}"`);
  }
  return value;
}

export async function startLatencyProxy(target: string, delayMs: number): Promise<LatencyProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    req.pause();
    setTimeout(() => {
      const forwarded = upstreamRequest(
        req,
        upstream,
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
        agent,
      );
      forwarded.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(forwarded);
      req.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Puts a latency proxy in front of each endpoint when `delayMs` > 0; with 0 the endpoints are
 * handed back as they are and nothing is started.
 */
export async function withLatency<K extends string>(
  endpoints: Record<K, string>,
  delayMs: number,
): Promise<{ readonly endpoints: Record<K, string>; close(): Promise<void> }> {
  if (delayMs === 0) return { endpoints, close: async () => undefined };
  const proxies: LatencyProxy[] = [];
  const delayed = {} as Record<K, string>;
  try {
    for (const key of Object.keys(endpoints) as K[]) {
      const proxy = await startLatencyProxy(endpoints[key], delayMs);
      proxies.push(proxy);
      delayed[key] = proxy.endpoint;
    }
  } catch (error) {
    await Promise.all(proxies.map((p) => p.close()));
    throw error;
  }
  return { endpoints: delayed, close: async () => void (await Promise.all(proxies.map((p) => p.close()))) };
}
