/**
 * The local WebSocket API, end to end: a real `ws` client, fixture handlers behind the runtime,
 * and the real ApiGatewayManagementApiClient against the local `@connections` endpoint.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { startLocalRuntimeWithFixtures } from "./fixtures/runtime.ts";

let runtime: LocalRuntime;
let redis: Redis;
let management: ApiGatewayManagementApiClient;

interface Client {
  readonly ws: WebSocket;
  /** The next frame the server sent, parsed as JSON. */
  next(): Promise<Record<string, unknown>>;
  /** Every frame received so far. */
  readonly received: string[];
  readonly closed: Promise<number>;
}

function open(query: string): Promise<Client> {
  const ws = new WebSocket(`${runtime.wsUrl}${query}`);
  const received: string[] = [];
  const waiting: Array<(frame: string) => void> = [];
  ws.on("message", (data) => {
    const frame = data.toString();
    received.push(frame);
    waiting.shift()?.(frame);
  });
  let read = 0;
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      const take = (frame: string) => resolve(JSON.parse(frame) as Record<string, unknown>);
      const buffered = received[read];
      read += 1;
      if (buffered !== undefined) take(buffered);
      else waiting.push(take);
    });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, next, received, closed }));
    ws.once("error", reject);
  });
}

/** The HTTP status of a refused upgrade. */
function refusedStatus(query: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${runtime.wsUrl}${query}`);
    ws.once("unexpected-response", (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.on("error", () => undefined);
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
  });
}

async function eventually<T>(read: () => Promise<T | null | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens a connection and learns its id from the $default fixture's reply. */
async function openWithId(): Promise<{ client: Client; connectionId: string }> {
  const client = await open("?ticket=ok");
  client.ws.send("who am i");
  const reply = await client.next();
  return { client, connectionId: String(reply.connectionId) };
}

forFile(startLocalRuntimeWithFixtures, (started) => {
  ({ runtime, redis } = started);
  management = new ApiGatewayManagementApiClient(localClientConfig(runtime.callbackUrl));
});
afterAll(() => management?.destroy());

describe("$connect", () => {
  it.each([
    ["", 401],
    ["?ticket=forbidden", 403],
  ])("refuses the upgrade with the handler's status (query %j → %i)", async (query, status) => {
    // Act / Assess
    expect(await refusedStatus(query)).toBe(status);
  });

  it("runs before the upgrade with the headers, query and requestContext API Gateway gives", async () => {
    // Act
    const { client, connectionId } = await openWithId();

    // Assess
    const event = JSON.parse((await redis.get(`fixture:ws:connect:${connectionId}`)) ?? "{}");
    expect(event.queryStringParameters).toEqual({ ticket: "ok" });
    expect(event.multiValueQueryStringParameters).toEqual({ ticket: ["ok"] });
    expect(event.headers["Sec-WebSocket-Key"]).toBeTruthy();
    expect(event.requestContext).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      connectionId,
      domainName: "127.0.0.1",
      messageDirection: "IN",
      identity: { sourceIp: "127.0.0.1" },
    });
    expect(event.requestContext.requestId).toBeTruthy();
    expect(event.requestContext.stage).toBeTruthy();
    client.ws.close();
  });
});

describe("messages", () => {
  it("routes by the action in a JSON frame, and everything else to $default", async () => {
    // Prepare
    const client = await open("?ticket=ok");

    // Act
    client.ws.send(JSON.stringify({ action: "echo", n: 1 }));
    const echo = await client.next();
    client.ws.send(JSON.stringify({ action: "no-such-route" }));
    const unknownAction = await client.next();
    client.ws.send("{not json");
    const malformed = await client.next();

    // Assess
    expect(echo).toEqual({ route: "echo", body: JSON.stringify({ action: "echo", n: 1 }) });
    expect(unknownAction).toMatchObject({
      route: "$default",
      eventType: "MESSAGE",
      body: '{"action":"no-such-route"}',
    });
    expect(malformed).toMatchObject({ route: "$default", body: "{not json", isBase64Encoded: false });
    client.ws.close();
  });

  it("delivers a binary frame to $default base64-encoded", async () => {
    // Prepare
    const client = await open("?ticket=ok");

    // Act
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const reply = await client.next();

    // Assess
    expect(reply).toMatchObject({
      route: "$default",
      isBase64Encoded: true,
      body: Buffer.from([1, 2, 3]).toString("base64"),
    });
    client.ws.close();
  });

  it("sends API Gateway's error frame when the route's function fails, and not handlers' return values", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();

    // Act
    client.ws.send(JSON.stringify({ action: "explode" }));
    const error = await client.next();

    // Assess
    expect(error).toMatchObject({ message: "Internal server error", connectionId });
    expect(client.received.some((frame) => frame.includes("returned, not sent"))).toBe(false);
    client.ws.close();
  });
});

describe("@connections management endpoint (real SDK client)", () => {
  it("PostToConnection sends the data as a frame", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();

    // Act
    await management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"type":"pong"}' }),
    );

    // Assess
    expect(await client.next()).toEqual({ type: "pong" });
    client.ws.close();
  });

  it("GetConnection describes an open connection", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();

    // Act
    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));

    // Assess
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe("127.0.0.1");
    client.ws.close();
  });

  it("DeleteConnection closes the socket", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();

    // Act
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));

    // Assess
    expect(await client.closed).toBe(1000);
  });

  it("PostToConnection to a closed connection raises GoneException", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();
    client.ws.close();
    await client.closed;

    // Act
    const posting = management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: "late" }),
    );

    // Assess
    await expect(posting).rejects.toBeInstanceOf(GoneException);
  });

  it("an id that never existed is gone too", async () => {
    // Act
    const getting = management.send(new GetConnectionCommand({ ConnectionId: "nope/with+odd=chars" }));

    // Assess
    await expect(getting).rejects.toBeInstanceOf(GoneException);
  });
});

describe("$disconnect", () => {
  it("runs when the client closes, with the close code", async () => {
    // Prepare
    const { client, connectionId } = await openWithId();

    // Act
    client.ws.close(4000, "bye");

    // Assess
    const raw = await eventually(() => redis.get(`fixture:ws:disconnect:${connectionId}`), "$disconnect");
    expect(JSON.parse(raw).requestContext).toMatchObject({
      routeKey: "$disconnect",
      eventType: "DISCONNECT",
      connectionId,
      disconnectStatusCode: 4000,
      disconnectReason: "bye",
    });
  });
});
