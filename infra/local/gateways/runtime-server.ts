/**
 * The runtime's one node:http server on 127.0.0.1: sends each request to the HTTP API, the
 * WebSocket API (/ws upgrades and /_ws/@connections), the SES outbox (GET /local/outbox), the
 * local control API (/local/faults, /local/dlqs, /local/webhooks: local-api.ts), the contract
 * and its docs page (/docs, /openapi.json, /asyncapi.json: docs-site.ts) or the web console
 * (`/` and /console/*: console-site.ts).
 * No request may stop it: a listener that throws answers 500 problem+json (a runtime bug, not
 * the client's), and bytes node cannot parse or a CONNECT get a problem+json 4xx.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { OutboxEmail } from "../aws/ses-emulator.ts";
import type { LocalLog } from "../functions/lambda-context.ts";
import type { ConsoleSite } from "./console-site.ts";
import type { DocsSite } from "./docs-site.ts";
import { gatewayError, sendGatewayResponse } from "./http-result.ts";
import type { LocalApi } from "./local-api.ts";
import { answerClientError, answerConnect, problemBody } from "./raw-answers.ts";
import type { WsGateway } from "./ws-gateway.ts";

export interface RuntimeServerTargets {
  readonly httpGateway: (req: IncomingMessage, res: ServerResponse) => void;
  readonly wsGateway: Pick<WsGateway, "handleManagement" | "handleUpgrade">;
  readonly outbox: () => Promise<OutboxEmail[]>;
  readonly log: LocalLog;
  readonly docs?: DocsSite;
  readonly console?: ConsoleSite;
  /** The runtime's own control API (`/local/...`), never part of a deployed stack. */
  readonly localApi?: LocalApi;
}

/** Last resort for a listener that threw: the request still gets an answer, the server lives on. */
function failedListener(res: ServerResponse, log: LocalLog, error: unknown): void {
  log.error("Local runtime request failed", error);
  if (res.headersSent) return void res.destroy();
  const body = problemBody(500, "The local runtime failed on this request; see its log.");
  res.writeHead(500, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

export function createRuntimeServer(targets: RuntimeServerTargets): Server {
  const { log } = targets;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      route(targets, req, res);
    } catch (error) {
      failedListener(res, log, error);
    }
  });
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    try {
      if ((req.url ?? "/").split("?")[0] === "/ws") return targets.wsGateway.handleUpgrade(req, socket, head);
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    } catch (error) {
      log.error("WebSocket upgrade failed", error);
      socket.destroy();
    }
  });
  server.on("clientError", answerClientError);
  server.on("connect", (_req: IncomingMessage, socket) => answerConnect(socket));
  return server;
}

function route(
  { httpGateway, wsGateway, outbox, log, docs, localApi, console: consoleSite }: RuntimeServerTargets,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (consoleSite?.handle(req, res)) return;
  if (docs?.handle(req, res)) return;
  if (localApi?.handle(req, res)) return;
  if (path.startsWith("/_ws/@connections/")) {
    wsGateway.handleManagement(req, res, path.slice("/_ws/@connections/".length));
    return;
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
