/**
 * The local HTTP gateway, on its own (no emulators): the API Gateway v2 events it builds, the
 * route it picks, and how it maps results and failures, using fixture handlers.
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ACCOUNT_ID, silentLog } from "#infra/local/functions/lambda-context.ts";
import { createFunctionInvoker } from "#infra/local/functions/load-handler.ts";
import { createHttpGateway, MAX_REQUEST_BODY_BYTES } from "#infra/local/gateways/http-gateway.ts";
import { fixtureManifest } from "./fixtures/manifest.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const API_ID = "fixtureapi";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let port: number;

function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const json = (reply: Reply) => JSON.parse(reply.body.toString()) as Record<string, unknown>;
const echoed = (reply: Reply) =>
  json(reply) as { event: APIGatewayProxyEventV2; context: Record<string, unknown> };

let stopFunctions: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const functions = createFunctionInvoker({
    functions: fixtureManifest.functions,
    rootDir: ROOT,
    identity: { region: "us-east-1", accountId: LOCAL_ACCOUNT_ID },
    log: silentLog,
    environmentOf: () => ({ AWS_REGION: "us-east-1" }),
  });
  stopFunctions = () => functions.stop();
  const gateway = createHttpGateway({
    apiId: API_ID,
    accountId: LOCAL_ACCOUNT_ID,
    routes: fixtureManifest.http.routes,
    fallback: fixtureManifest.http.fallback,
    invoke: functions.invoke,
    log: silentLog,
    integrationTimeoutMs: 2500,
  });
  server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await stopFunctions();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("HTTP gateway events (payload format 2.0)", () => {
  it("carries route key, decoded path parameters, raw and parsed query, as API Gateway builds them", async () => {
    // Act
    const reply = await send("GET", "/items/abc%20def/details?x=1&x=2&q=a%2Bb&flag", {
      headers: { "User-Agent": "fixture-agent", "X-Multi": ["one", "two"] },
    });

    // Assess
    expect(reply.status).toBe(200);
    const { event } = echoed(reply);
    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("GET /items/{id}/details");
    expect(event.rawPath).toBe("/items/abc def/details");
    expect(event.pathParameters).toEqual({ id: "abc def" });
    expect(event.rawQueryString).toBe("x=1&x=2&q=a%2Bb&flag");
    expect(event.queryStringParameters).toEqual({ x: "1,2", q: "a+b", flag: "" });
    expect(event.isBase64Encoded).toBe(false);
    expect(event).not.toHaveProperty("body");
    expect(event).not.toHaveProperty("cookies");
  });

  it("lower-cases header names, joins repeated headers with commas and moves cookies to `cookies`", async () => {
    // Act
    const reply = await send("GET", "/items/1/details", {
      headers: { "X-Multi": ["one", "two"], Cookie: ["a=1; b=2", "c=3"], "User-Agent": "fixture-agent" },
    });

    // Assess
    const { event } = echoed(reply);
    expect(event.headers["x-multi"]).toBe("one,two");
    expect(event.headers["user-agent"]).toBe("fixture-agent");
    expect(event.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(event.headers["x-forwarded-proto"]).toBe("http");
    expect(event.headers["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers).not.toHaveProperty("cookie");
    expect(event.cookies).toEqual(["a=1", "b=2", "c=3"]);
  });

  it("fills requestContext like API Gateway, with the request id it also returns in apigw-requestid", async () => {
    // Act
    const reply = await send("GET", "/items/7/details?z=1", { headers: { "User-Agent": "fixture-agent" } });

    // Assess
    const { event } = echoed(reply);
    const ctx = event.requestContext;
    expect(ctx).toMatchObject({
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      domainName: "127.0.0.1",
      domainPrefix: "127",
      routeKey: "GET /items/{id}/details",
      stage: "$default",
      http: {
        method: "GET",
        path: "/items/7/details",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "fixture-agent",
      },
    });
    expect(ctx.requestId).toBe(reply.headers["apigw-requestid"]);
    expect(ctx.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(typeof ctx.timeEpoch).toBe("number");
  });

  it("passes a JSON body as text", async () => {
    // Prepare
    const body = JSON.stringify({ hello: "wörld" });

    // Act
    const reply = await send("POST", "/echo", {
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body,
    });

    // Assess
    const { event } = echoed(reply);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(body);
  });

  it("base64-encodes a form body, as AWS does for application/x-www-form-urlencoded", async () => {
    // Prepare
    const body = "amount=100&currency=INR&note=a+b";

    // Act
    const reply = await send("POST", "/echo", {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });

    // Assess
    const { event } = echoed(reply);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString()).toBe(body);
  });

  it("base64-encodes a body sent without a content type", async () => {
    // Act
    const reply = await send("POST", "/echo", { body: Buffer.from([0, 159, 146, 150]) });

    // Assess
    const { event } = echoed(reply);
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(Buffer.from([0, 159, 146, 150]).toString("base64"));
  });

  it("invokes the handler with a Lambda context for its function", async () => {
    // Act
    const reply = await send("GET", "/items/1/details");

    // Assess
    const { context } = echoed(reply);
    expect(context).toMatchObject({
      functionName: "echo",
      functionVersion: "$LATEST",
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:echo`,
      memoryLimitInMB: "128",
      logGroupName: "/aws/lambda/echo",
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(context.remainingTimeInMillis).toBeGreaterThan(0);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(3000);
  });
});

describe("HTTP gateway routing", () => {
  it.each([
    ["/files/special", "GET /files/special", null],
    ["/files/report.pdf", "GET /files/{name}", { name: "report.pdf" }],
    ["/files/a/b/c", "GET /files/{proxy+}", { proxy: "a/b/c" }],
  ])("picks the most specific route for %s", async (path, routeKey, pathParameters) => {
    // Act
    const reply = await send("GET", path);

    // Assess
    expect(json(reply)).toEqual({ routeKey, pathParameters });
  });

  it("sends unmatched paths and methods to the fallback ($default) function", async () => {
    // Act
    const unknownPath = await send("GET", "/nowhere/at/all");
    const wrongMethod = await send("DELETE", "/files/special");

    // Assess
    expect(unknownPath.status).toBe(404);
    expect(json(unknownPath)).toEqual({ fallback: true, routeKey: "$default", path: "/nowhere/at/all" });
    expect(json(wrongMethod)).toMatchObject({ fallback: true, routeKey: "$default" });
  });
});

describe("HTTP gateway results", () => {
  it("returns a plain object as a 200 application/json", async () => {
    // Act
    const reply = await send("GET", "/results?kind=object");

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(json(reply)).toEqual({ hello: "world" });
  });

  it("returns a plain string as the body of a 200 application/json", async () => {
    // Act
    const reply = await send("GET", "/results?kind=string");

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.body.toString()).toBe("just a string");
  });

  it("maps a structured result: status, headers, one set-cookie per cookie, text/plain by default", async () => {
    // Act
    const reply = await send("GET", "/results?kind=cookies");

    // Assess
    expect(reply.status).toBe(201);
    expect(reply.headers["x-custom"]).toBe("7");
    expect(reply.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2"]);
    expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(reply.body.toString()).toBe("made");
  });

  it("decodes a base64 result body", async () => {
    // Act
    const reply = await send("GET", "/results?kind=binary");

    // Assess
    expect(reply.headers["content-type"]).toBe("application/octet-stream");
    expect([...reply.body]).toEqual([0, 1, 2, 255]);
  });

  it("ignores multiValueHeaders, which payload 2.0 does not have", async () => {
    // Act
    const reply = await send("GET", "/results?kind=multi-value");

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers).not.toHaveProperty("x-multi");
  });

  it("answers 500 for a result whose statusCode is not a number", async () => {
    // Act
    const reply = await send("GET", "/results?kind=bad-status");

    // Assess
    expect(reply.status).toBe(500);
    expect(json(reply)).toEqual({ message: "Internal Server Error" });
  });
});

describe("HTTP gateway failures", () => {
  it("answers a throwing handler with API Gateway's 500", async () => {
    // Act
    const reply = await send("GET", "/throws");

    // Assess
    expect(reply.status).toBe(500);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(json(reply)).toEqual({ message: "Internal Server Error" });
  });

  it("answers 500 when the handler runs past its function timeout", async () => {
    // Act: the function has a 1 s timeout and sleeps 1.5 s
    const reply = await send("GET", "/timeout");

    // Assess
    expect(reply.status).toBe(500);
    expect(json(reply)).toEqual({ message: "Internal Server Error" });
  });

  it("does not count a cold start against the function timeout, as Lambda's init has its own", async () => {
    // Act: the function has a 1 s timeout and its module takes 1.5 s to load
    const reply = await send("GET", "/slow-init");

    // Assess
    expect(reply.status).toBe(200);
    expect(json(reply)).toEqual({ initialized: true });
  });

  it("answers 503 when the call outlives the integration timeout", async () => {
    // Act: the integration timeout is 2.5 s here; the function may run 10 s and sleeps 5 s
    const reply = await send("GET", "/slow?ms=5000");

    // Assess
    expect(reply.status).toBe(503);
    expect(json(reply)).toEqual({ message: "Service Unavailable" });
  });

  it("answers 413 for a body over API Gateway's 10 MB limit, without invoking the function", async () => {
    // Act
    const reply = await send("POST", "/echo", {
      headers: { "Content-Type": "application/json" },
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20),
    });

    // Assess
    expect(reply.status).toBe(413);
    expect(json(reply)).toEqual({ message: "Request Entity Too Large" });
  });

  it("accepts a body of exactly 10 MB", async () => {
    // Act
    const reply = await send("POST", "/echo", {
      headers: { "Content-Type": "text/plain" },
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES, 0x61),
    });

    // Assess
    expect(reply.status).toBe(200);
    expect(echoed(reply).event.body).toHaveLength(MAX_REQUEST_BODY_BYTES);
  });
});
