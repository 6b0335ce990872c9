/**
 * The local API Gateway WebSocket API and its `@connections` management endpoint, on a `ws`
 * server attached to the runtime's HTTP server. What it keeps from AWS, on purpose:
 *   - `$connect` runs BEFORE the handshake completes; a non-2xx `statusCode` refuses the upgrade
 *     with that status, and a function error (or a result without `statusCode`) with 502;
 *   - each frame is routed by the route selection expression (`$request.body.action`): a JSON
 *     frame whose value names a route goes there, anything else to `$default`; with no route at
 *     all the client gets API Gateway's `{"message":"Forbidden",...}` frame, and a failing
 *     function its `{"message":"Internal server error",...}` frame;
 *   - handler return values are NOT sent to the client: handlers reply with PostToConnection;
 *   - `$connect` and `$disconnect` headers keep the client's casing (unlike the HTTP API);
 *   - the connection is gone (410 GoneException) as soon as it closes, before `$disconnect` runs;
 *   - a frame over 32 KB closes the connection with 1009 (Message Too Big);
 *   - a frame never selects a predefined route: `{"action":"$disconnect"}` goes to `$default`.
 *     AWS documents `$connect`/`$disconnect` as lifecycle routes and matches frames against the
 *     custom routes; a frame that could run `$disconnect` would let any client unregister itself
 *     (or, with `$connect`, skip the ticket check) while staying connected.
 * Not played: the 10-minute idle timeout and the 2-hour connection limit. Stricter than AWS: a
 * message fragmented into several frames must fit 32 KB in total here (AWS allows 128 KB).
 */

import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { LocalLog } from "../functions/lambda-context.ts";
import type { InvokeFunction } from "../functions/load-handler.ts";
import { type GatewayIdentity, gatewayRequestId, gatewayTime, sourceIpOf } from "./http-gateway.ts";

/** API Gateway's PostToConnection payload (and whole-message) limit. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway's WebSocket frame limit: a client frame over it closes the connection (1009). */
export const MAX_FRAME_BYTES = 32 * 1024;

export interface GatewayWsRoute {
  /** `$connect`, `$disconnect`, `$default` or a value of the route selection expression. */
  readonly routeKey: string;
  readonly function: string;
}

export interface WsGatewayOptions extends GatewayIdentity {
  readonly routes: readonly GatewayWsRoute[];
  /** Only `$request.body.<path>` expressions are supported (the only kind Ferry uses). */
  readonly routeSelectionExpression: string;
  readonly invoke: InvokeFunction;
  readonly log: LocalLog;
  /** Stage name put in events; AWS puts the deployed stage there. */
  readonly stage?: string;
  /**
   * IAM for the @connections endpoint (local-iam.ts): a denial message for a caller whose role
   * does not allow the call, undefined when it may go ahead.
   */
  readonly authorizeManagement?: (
    req: IncomingMessage,
    method: string,
    connectionId: string,
  ) => string | undefined;
}

interface Connection {
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly domainName: string;
}

export interface WsGateway {
  /** For the HTTP server's `upgrade` event on the WebSocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * For `{callback path}/@connections/{id}` requests: PostToConnection, GetConnection,
   * DeleteConnection. `encodedId` is the path segment as sent (the SDK URL-encodes the id).
   */
  handleManagement(req: IncomingMessage, res: ServerResponse, encodedId: string): void;
  /** Ids of the open connections. */
  connectionIds(): string[];
  /** Closes every connection (1001 Going Away) and waits for the functions still running. */
  close(): Promise<void>;
}

/** Compiles `$request.body.a.b` into a reader of the parsed frame. */
function routeSelector(expression: string): (body: unknown) => string | undefined {
  const match = /^\$request\.body\.([\w.]+)$/.exec(expression);
  if (!match?.[1]) throw new Error(`Unsupported route selection expression: ${expression}`);
  const path = match[1].split(".");
  return (body) => {
    let value: unknown = body;
    for (const key of path) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : undefined;
  };
}

/** Routes API Gateway runs itself (connect, disconnect, fallback), never because a frame named them. */
const PREDEFINED_ROUTES = new Set(["$connect", "$disconnect", "$default"]);

/** AWS connection ids look like `L0SM9cOFvHcCIhw=`. */
const newConnectionId = (): string => randomBytes(11).toString("base64");

/** The id in a management path; undefined when its percent-encoding is malformed (`%ZZ`). */
function decodeConnectionId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

function parseFrame(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Headers as sent (original casing), repeats joined with ",", plus their multi-value form. */
function connectHeaders(req: IncomingMessage, sourceIp: string) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const added = {
    "X-Forwarded-For": sourceIp,
    "X-Forwarded-Port": String(req.socket.localPort ?? ""),
    "X-Forwarded-Proto": "http",
  };
  for (const [name, value] of Object.entries(added)) {
    headers[name] ??= value;
    multiValueHeaders[name] ??= [value];
  }
  return { headers, multiValueHeaders };
}

function connectQuery(req: IncomingMessage) {
  const search = new URL(req.url ?? "/", "http://localhost").searchParams;
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [key, value] of search) {
    queryStringParameters[key] = value;
    multiValueQueryStringParameters[key] = [...(multiValueQueryStringParameters[key] ?? []), value];
  }
  return Object.keys(queryStringParameters).length > 0
    ? { queryStringParameters, multiValueQueryStringParameters }
    : {};
}

/** Writes a plain HTTP answer on a socket whose upgrade is refused, then closes it. */
function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload.toString()}`,
  );
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.once("error", reject);
  });
}

function managementAnswer(res: ServerResponse, status: number, body?: unknown, errorType?: string): void {
  const payload = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "x-amzn-requestid": gatewayRequestId(),
    ...(payload ? { "content-type": "application/json" } : {}),
    // The SDK picks the exception class from this header: without it a 410 is an unknown error.
    ...(errorType ? { "x-amzn-errortype": errorType } : {}),
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

const statusOf = (result: unknown): number | undefined => {
  if (typeof result !== "object" || result === null) return undefined;
  const status = (result as { statusCode?: unknown }).statusCode;
  return typeof status === "number" && Number.isInteger(status) ? status : undefined;
};

function selectedProtocol(result: unknown): string | undefined {
  const headers = (result as { headers?: unknown }).headers;
  if (typeof headers !== "object" || headers === null) return undefined;
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === "sec-websocket-protocol");
  return typeof entry?.[1] === "string" ? entry[1] : undefined;
}

export function createWsGateway(options: WsGatewayOptions): WsGateway {
  const routes = new Map(options.routes.map((r) => [r.routeKey, r.function]));
  const selectRoute = routeSelector(options.routeSelectionExpression);
  const stage = options.stage ?? "local";
  const connections = new Map<string, Connection>();
  const running = new Set<Promise<unknown>>();
  const protocols = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    // `ws` applies it to each frame and to a fragmented message's total, closing with 1009.
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (_offered, req) => protocols.get(req) ?? false,
  });

  /** Tracks a function call so close() can wait for it; its failure is already logged by the invoker. */
  function track<T>(promise: Promise<T>): Promise<T> {
    running.add(promise);
    promise.then(
      () => running.delete(promise),
      () => running.delete(promise),
    );
    return promise;
  }

  function baseContext(connectionId: string, conn: Omit<Connection, "socket" | "lastActiveAt">) {
    const now = new Date();
    const requestId = gatewayRequestId();
    return {
      extendedRequestId: requestId,
      requestTime: gatewayTime(now),
      messageDirection: "IN" as const,
      stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: now.getTime(),
      requestId,
      domainName: conn.domainName,
      connectionId,
      apiId: options.apiId,
    };
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const connectionId = newConnectionId();
    const sourceIp = sourceIpOf(req);
    const userAgent = req.headers["user-agent"] ?? "";
    const domainName = (req.headers.host ?? "localhost").replace(/:\d+$/, "");
    const info = { connectedAt: Date.now(), sourceIp, userAgent, domainName };
    const connectFunction = routes.get("$connect");
    if (connectFunction) {
      const event = {
        ...connectHeaders(req, sourceIp),
        ...connectQuery(req),
        requestContext: {
          routeKey: "$connect",
          eventType: "CONNECT",
          ...baseContext(connectionId, info),
          identity: { userAgent, sourceIp },
        },
        isBase64Encoded: false,
      };
      let result: unknown;
      try {
        result = await track(options.invoke(connectFunction, event));
      } catch {
        return refuseUpgrade(socket, 502, JSON.stringify({ message: "Internal server error" }));
      }
      const status = statusOf(result);
      if (status === undefined) {
        options.log.error(
          `[${connectFunction}] $connect must return { statusCode }: refusing the connection`,
        );
        return refuseUpgrade(socket, 502, JSON.stringify({ message: "Internal server error" }));
      }
      if (status < 200 || status > 299) {
        const body = (result as { body?: unknown }).body;
        return refuseUpgrade(socket, status, typeof body === "string" ? body : "");
      }
      const protocol = selectedProtocol(result);
      if (protocol) protocols.set(req, protocol);
    }
    // The client may have given up while $connect ran.
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => opened(ws, connectionId, info));
  }

  function opened(
    socket: WebSocket,
    connectionId: string,
    info: Omit<Connection, "socket" | "lastActiveAt">,
  ): void {
    const conn: Connection = { ...info, socket, lastActiveAt: Date.now() };
    connections.set(connectionId, conn);
    socket.on("error", (error) => options.log.error(`WebSocket ${connectionId} error`, error));
    socket.on("message", (data, isBinary) => received(connectionId, conn, data, isBinary));
    socket.once("close", (code, reason) => closed(connectionId, conn, code, reason.toString()));
  }

  function received(connectionId: string, conn: Connection, data: RawData, isBinary: boolean): void {
    conn.lastActiveAt = Date.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    const text = isBinary ? undefined : bytes.toString("utf8");
    const selected = text === undefined ? undefined : selectRoute(parseFrame(text));
    const routeKey =
      selected !== undefined && !PREDEFINED_ROUTES.has(selected) && routes.has(selected)
        ? selected
        : "$default";
    const context = baseContext(connectionId, conn);
    const reply = (message: string) => {
      if (conn.socket.readyState === WebSocket.OPEN) {
        conn.socket.send(JSON.stringify({ message, connectionId, requestId: context.requestId }));
      }
    };
    const fn = routes.get(routeKey);
    if (!fn) {
      reply("Forbidden");
      return;
    }
    const event = {
      requestContext: {
        routeKey,
        messageId: gatewayRequestId(),
        eventType: "MESSAGE",
        ...context,
        identity: { sourceIp: conn.sourceIp },
      },
      body: text ?? bytes.toString("base64"),
      isBase64Encoded: text === undefined,
    };
    track(options.invoke(fn, event)).catch(() => reply("Internal server error"));
  }

  function closed(connectionId: string, conn: Connection, code: number, reason: string): void {
    connections.delete(connectionId);
    const fn = routes.get("$disconnect");
    if (!fn) return;
    const event = {
      headers: { Host: conn.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" },
      multiValueHeaders: {
        Host: [conn.domainName],
        "x-api-key": [""],
        "X-Forwarded-For": [""],
        "x-restapi": [""],
      },
      requestContext: {
        routeKey: "$disconnect",
        disconnectStatusCode: code,
        eventType: "DISCONNECT",
        disconnectReason: reason,
        ...baseContext(connectionId, conn),
        identity: { userAgent: conn.userAgent, sourceIp: conn.sourceIp },
      },
      isBase64Encoded: false,
    };
    track(options.invoke(fn, event)).catch(() => undefined);
  }

  async function manage(req: IncomingMessage, res: ServerResponse, encodedId: string): Promise<void> {
    const connectionId = decodeConnectionId(encodedId);
    if (connectionId === undefined) {
      req.resume();
      return managementAnswer(res, 400, { message: "Invalid connectionId" }, "BadRequestException");
    }
    const method = req.method ?? "GET";
    const denied = options.authorizeManagement?.(req, method, connectionId);
    if (denied) {
      req.resume();
      return managementAnswer(res, 403, { message: denied }, "AccessDeniedException");
    }
    const conn = connections.get(connectionId);
    const open = conn?.socket.readyState === WebSocket.OPEN;
    if (method === "POST") {
      const data = await readLimited(req, MAX_MESSAGE_BYTES);
      if (!data)
        return managementAnswer(
          res,
          413,
          { message: "Request entity too large" },
          "PayloadTooLargeException",
        );
      if (!conn || !open) return managementAnswer(res, 410, {}, "GoneException");
      conn.socket.send(data, { binary: !isUtf8(data) });
      return managementAnswer(res, 200);
    }
    req.resume();
    if (method !== "GET" && method !== "DELETE") return managementAnswer(res, 404, { message: "Not Found" });
    if (!conn || !open) return managementAnswer(res, 410, {}, "GoneException");
    if (method === "DELETE") {
      conn.socket.close(1000);
      return managementAnswer(res, 204);
    }
    managementAnswer(res, 200, {
      connectedAt: new Date(conn.connectedAt).toISOString(),
      identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
      lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      upgrade(req, socket, head).catch((error: unknown) => {
        options.log.error("WebSocket upgrade failed", error);
        refuseUpgrade(socket, 500, JSON.stringify({ message: "Internal server error" }));
      });
    },
    handleManagement(req, res, encodedId) {
      manage(req, res, encodedId).catch((error: unknown) => {
        options.log.error("@connections request failed", error);
        if (!res.headersSent) managementAnswer(res, 500, { message: "Internal server error" });
      });
    },
    connectionIds: () => [...connections.keys()],
    async close() {
      const sockets = [...connections.values()].map((c) => c.socket);
      const allClosed = Promise.all(
        sockets.map(
          (s) =>
            new Promise<void>((resolve) =>
              s.readyState === WebSocket.CLOSED ? resolve() : s.once("close", () => resolve()),
            ),
        ),
      );
      for (const s of sockets) s.close(1001, "Going away");
      // A client that never answers the close handshake is cut off rather than waited for.
      const cutOff = setTimeout(() => {
        for (const s of sockets) s.terminate();
      }, 1000);
      await allClosed;
      clearTimeout(cutOff);
      wss.close();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
