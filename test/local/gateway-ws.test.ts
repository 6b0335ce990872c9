/**
 * The WebSocket gateway's own rules, with in-test functions standing in for Lambda handlers:
 * how it treats $connect results it must refuse, a missing $default route, and subprotocols.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { silentLog } from "#infra/local/functions/lambda-context.ts";
import type { InvokeFunction } from "#infra/local/functions/load-handler.ts";
import { createWsGateway, type GatewayWsRoute, type WsGateway } from "#infra/local/gateways/ws-gateway.ts";

let server: Server | undefined;
let gateway: WsGateway | undefined;

async function start(routes: GatewayWsRoute[], invoke: InvokeFunction): Promise<string> {
  const ws = createWsGateway({
    apiId: "wsapi",
    accountId: "000000000000",
    routes,
    routeSelectionExpression: "$request.body.action",
    invoke,
    log: silentLog,
  });
  gateway = ws;
  server = createServer((_req, res) => res.end());
  server.on("upgrade", (req, socket, head) => ws.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
}

afterEach(async () => {
  await gateway?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("error", () => undefined);
    ws.once("unexpected-response", (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
  });
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
}

const nextFrame = (ws: WebSocket) =>
  new Promise<Record<string, unknown>>((resolve) =>
    ws.once("message", (d) => resolve(JSON.parse(d.toString()))),
  );

describe("WebSocket gateway", () => {
  it("refuses with 502 a $connect whose function fails", async () => {
    // Prepare
    const url = await start([{ routeKey: "$connect", function: "connect" }], async () => {
      throw new Error("boom");
    });

    // Act / Assess
    expect(await refusedStatus(url)).toBe(502);
  });

  it("refuses with 502 a $connect result without statusCode", async () => {
    // Prepare
    const url = await start([{ routeKey: "$connect", function: "connect" }], async () => ({ ok: true }));

    // Act / Assess
    expect(await refusedStatus(url)).toBe(502);
  });

  it("accepts every connection when there is no $connect route", async () => {
    // Prepare
    const url = await start([], async () => undefined);
    const ws = new WebSocket(url);

    // Act / Assess
    await expect(opened(ws)).resolves.toBeUndefined();
    ws.close();
  });

  it("answers a frame no route takes with API Gateway's Forbidden frame when there is no $default", async () => {
    // Prepare
    const url = await start([{ routeKey: "ping", function: "ping" }], async () => ({ statusCode: 200 }));
    const ws = new WebSocket(url);
    await opened(ws);

    // Act
    ws.send(JSON.stringify({ action: "something-else" }));
    const frame = await nextFrame(ws);

    // Assess
    expect(frame).toMatchObject({ message: "Forbidden" });
    expect(frame.connectionId).toBeTruthy();
    expect(frame.requestId).toBeTruthy();
    ws.close();
  });

  it("selects the subprotocol the $connect result names", async () => {
    // Prepare
    const url = await start([{ routeKey: "$connect", function: "connect" }], async () => ({
      statusCode: 200,
      headers: { "Sec-WebSocket-Protocol": "ferry.v1" },
    }));
    const ws = new WebSocket(url, ["ferry.v2", "ferry.v1"]);

    // Act
    await opened(ws);

    // Assess
    expect(ws.protocol).toBe("ferry.v1");
    ws.close();
  });
});
