/**
 * PostToConnection retries (issue #14): an attempt that times out is tried again, a bounded
 * number of times, against a management endpoint that hangs on purpose; GoneException and other
 * errors are never retried. The real ApiGatewayManagementApiClient talks to a node:http server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deliver } from "#shared/realtime/deliver.ts";
import { localClientConfig } from "#test/support/local-aws.ts";

type Plan = (attempt: number, res: ServerResponse) => void;

let server: Server;
let client: ApiGatewayManagementApiClient;
let plan: Plan;
let attempts: number;
const hung: ServerResponse[] = [];

const hang: Plan = (_attempt, res) => void hung.push(res);
const ok: Plan = (_attempt, res) => res.writeHead(200).end();
const gone: Plan = (_attempt, res) =>
  res.writeHead(410, { "x-amzn-errortype": "GoneException", "content-type": "application/json" }).end("{}");
const forbidden: Plan = (_attempt, res) =>
  res
    .writeHead(403, { "x-amzn-errortype": "ForbiddenException", "content-type": "application/json" })
    .end('{"message":"Forbidden"}');

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    attempts++;
    plan(attempts, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  client = new ApiGatewayManagementApiClient({
    ...localClientConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}/_ws`),
    maxAttempts: 1,
  });
});

beforeEach(() => {
  attempts = 0;
});

afterAll(async () => {
  client?.destroy();
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = { attempts: 3, attemptTimeoutMs: 150 };

describe("deliver", () => {
  it("retries an attempt that timed out, and delivers", async () => {
    // Prepare: the first attempt never gets an answer, the second does.
    plan = (attempt, res) => (attempt === 1 ? hang : ok)(attempt, res);

    // Act
    const outcome = await deliver(client, "conn-1", { type: "pong" }, options);

    // Assess
    expect(outcome).toBe("delivered");
    expect(attempts).toBe(2);
  });

  it("gives up as failed after the bounded number of timed-out attempts", async () => {
    // Prepare
    plan = hang;

    // Act
    const started = Date.now();
    const outcome = await deliver(client, "conn-1", { type: "pong" }, options);

    // Assess
    expect(outcome).toBe("failed");
    expect(attempts).toBe(3);
    expect(Date.now() - started).toBeLessThan(3000);
  }, 5000);

  it("reports gone at once, without retrying", async () => {
    // Prepare
    plan = gone;

    // Act + Assess
    expect(await deliver(client, "conn-1", { type: "pong" }, options)).toBe("gone");
    expect(attempts).toBe(1);
  });

  it("does not retry an error that is not a timeout", async () => {
    // Prepare
    plan = forbidden;

    // Act + Assess
    expect(await deliver(client, "conn-1", { type: "pong" }, options)).toBe("failed");
    expect(attempts).toBe(1);
  });
});
