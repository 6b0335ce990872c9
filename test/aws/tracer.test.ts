/**
 * X-Ray subsegments (shared/aws/tracer.ts): in Lambda, with a sampled trace, every SDK call, the
 * secret read and every fetch (Upstash) reaches the X-Ray daemon as one UDP datagram with its
 * name, operation, status and error flags, and the trace continues downstream in X-Amzn-Trace-Id
 * under that subsegment's id. Unsampled invocations and runs outside Lambda send nothing. The
 * daemon is a real UDP socket; the services are real HTTP servers answering as AWS does.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { readSecretString } from "#shared/aws/secrets.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { parseConfig } from "#shared/config.ts";
import {
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from "#test/support/secrets-manager-emulator.ts";

const ROOT = "1-5759e988-bd862e3fe1be46a994272793";
let daemon: Socket;
let received: Record<string, unknown>[] = [];
let service: Server;
let serviceUrl: string;
let seen: IncomingHttpHeaders[] = [];
let sm: SecretsManagerEmulator;

beforeAll(async () => {
  daemon = createSocket("udp4");
  daemon.on("message", (datagram) => {
    const [header, body] = datagram.toString("utf8").split("\n");
    expect(JSON.parse(header ?? "")).toEqual({ format: "json", version: 1 });
    received.push(JSON.parse(body ?? ""));
  });
  await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
  // Answers as SQS does to a queue that does not exist (JSON protocol, 400).
  service = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on("end", () => {
      res.writeHead(req.url === "/ok" ? 200 : 400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
      });
      res.end(JSON.stringify({ __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "no queue" }));
    });
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  sm = await startSecretsManagerEmulator();
});
afterAll(async () => {
  daemon.close();
  service.close();
  await sm.close();
});
beforeEach(() => {
  received = [];
  seen = [];
  vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
  vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0`);
  vi.stubEnv("AWS_XRAY_DAEMON_ADDRESS", `127.0.0.1:${(daemon.address() as AddressInfo).port}`);
});
afterEach(() => vi.unstubAllEnvs());

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe("X-Ray subsegments", () => {
  it("an SDK call: one subsegment with its operation and status, its id passed on downstream", async () => {
    const client = sqsClient(
      parseConfig({
        UPSTASH_REDIS_REST_URL: serviceUrl,
        UPSTASH_REDIS_REST_TOKEN: "t",
        AWS_ENDPOINT_URL_SQS: serviceUrl,
      }),
    );
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: `${serviceUrl}/000000000000/nope`, MessageBody: "x" })),
    ).rejects.toMatchObject({ name: "QueueDoesNotExist" });
    await settle();

    expect(received).toHaveLength(1);
    const [subsegment] = received;
    expect(subsegment).toMatchObject({
      name: "SQS",
      namespace: "aws",
      type: "subsegment",
      trace_id: ROOT,
      parent_id: "53995c3f42cd8ad8",
      aws: { operation: "SendMessage" },
      http: { response: { status: 400 } },
      error: true,
      cause: { exceptions: [{ type: "QueueDoesNotExist" }] },
    });
    expect(subsegment?.end_time).toBeGreaterThanOrEqual(subsegment?.start_time as number);
    expect(seen[0]?.["x-amzn-trace-id"]).toBe(`Root=${ROOT};Parent=${subsegment?.id};Sampled=1`);
  });

  it("a fetch (how the Redis client reaches Upstash): a remote subsegment with its status", async () => {
    await (await fetch(`${serviceUrl}/ok`, { method: "POST", body: "[]" })).text();
    await settle();

    expect(received).toEqual([
      expect.objectContaining({
        name: "127.0.0.1",
        namespace: "remote",
        http: { request: { url: "http://127.0.0.1/ok", method: "POST" }, response: { status: 200 } },
      }),
    ]);
    expect(seen[0]?.["x-amzn-trace-id"]).toBe(`Root=${ROOT};Parent=${received[0]?.id};Sampled=1`);
  });

  it("the secret read: a Secrets Manager GetSecretValue subsegment", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.url);
    const arn = sm.create("traced", '{"A":"b"}');
    expect(await readSecretString(arn)).toBe('{"A":"b"}');
    await settle();

    expect(received).toContainEqual(
      expect.objectContaining({
        name: "SecretsManager",
        namespace: "aws",
        aws: expect.objectContaining({ operation: "GetSecretValue", region: "us-east-1" }),
      }),
    );
  });

  it("sends nothing for an unsampled invocation, or outside Lambda", async () => {
    vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`);
    await (await fetch(`${serviceUrl}/ok`)).text();
    vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`);
    vi.stubEnv("AWS_EXECUTION_ENV", "");
    await (await fetch(`${serviceUrl}/ok`)).text();
    await settle();

    expect(received).toEqual([]);
    expect(seen.map((h) => h["x-amzn-trace-id"])).toEqual([undefined, undefined]);
  });
});
