/**
 * A TCP server on 127.0.0.1 that accepts every connection and never answers: what a hung AWS
 * endpoint (or a blackholed Upstash) looks like to a client. It reads and discards whatever is
 * sent, so a plain-HTTP request is fully sent; an HTTPS client waits forever for the TLS handshake.
 */

import { createServer, type Socket } from "node:net";
import { listenOnLoopback } from "./loopback-server.ts";

export interface SilentServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (use `https://` for a TLS handshake that never finishes). */
  readonly url: string;
  /** Connections accepted so far: one per attempt the client made. */
  connections(): number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  const port = await listenOnLoopback(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
