/**
 * The runtime's one node:http server on 127.0.0.1: sends each request to the HTTP API, the
 * WebSocket API (/ws upgrades and /_ws/@connections) or the SES outbox (GET /local/outbox).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gatewayError, sendGatewayResponse } from "./http-result.ts";
import type { LocalLog } from "./lambda-context.ts";
import type { OutboxEmail } from "./ses-emulator.ts";
import type { WsGateway } from "./ws-gateway.ts";

export interface RuntimeServerTargets {
  readonly httpGateway: (req: IncomingMessage, res: ServerResponse) => void;
  readonly wsGateway: Pick<WsGateway, "handleManagement" | "handleUpgrade">;
  readonly outbox: () => Promise<OutboxEmail[]>;
  readonly log: LocalLog;
}

export function createRuntimeServer({ httpGateway, wsGateway, outbox, log }: RuntimeServerTargets): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path.startsWith("/_ws/@connections/")) {
      return wsGateway.handleManagement(
        req,
        res,
        decodeURIComponent(path.slice("/_ws/@connections/".length)),
      );
    }
    if (path === "/local/outbox" && req.method === "GET") {
      req.resume();
      outbox().then(
        (emails) =>
          sendGatewayResponse(
            res,
            {
              statusCode: 200,
              headers: { "content-type": "application/json" },
              body: Buffer.from(JSON.stringify({ emails })),
            },
            "local",
          ),
        (error: unknown) => {
          log.error("Reading the SES outbox failed", error);
          sendGatewayResponse(res, gatewayError(502, "SES emulator unavailable"), "local");
        },
      );
      return;
    }
    httpGateway(req, res);
  });
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    if ((req.url ?? "/").split("?")[0] === "/ws") return wsGateway.handleUpgrade(req, socket, head);
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  return server;
}
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" ? new Error(`Port ${port} is in use: set PORT to another port`) : error,
      );
    server.once("error", failed);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Requests still running get a moment to finish; then their connections are cut.
  const cutOff = setTimeout(() => server.closeAllConnections(), 2000);
  await closed;
  clearTimeout(cutOff);
}
