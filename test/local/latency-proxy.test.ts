/**
 * FERRY_LOCAL_LATENCY_MS: the latency proxy alone, then through the local runtime, where every
 * handler call to the SQS and SES emulators is measured to take at least the knob's value.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLatencyMs, startLatencyProxy, withLatency } from "#infra/local/aws/latency-proxy.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { call } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

const LATENCY_MS = 150;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

async function measured<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe("the latency proxy", () => {
  let echo: Server;
  let target = "";
  beforeAll(async () => {
    echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(201, { "x-echo-path": req.url ?? "" });
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    target = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  it("holds each request for the delay and forwards it and its answer untouched", async () => {
    const proxy = await startLatencyProxy(target, LATENCY_MS);

    const { value: res, ms } = await measured(() =>
      fetch(`${proxy.endpoint}/some/path?q=1`, { method: "POST", body: "hello" }),
    );
    const body = await res.text();
    await proxy.close();

    expect(ms).toBeGreaterThanOrEqual(LATENCY_MS);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-echo-path")).toBe("/some/path?q=1");
    expect(body).toBe("hello");
  });

  it("starts nothing and changes no endpoint when the knob is 0", async () => {
    const aws = await withLatency({ sqs: target }, 0);

    expect(aws.endpoints.sqs).toBe(target);
    await aws.close();
  });

  it("reads the knob as whole milliseconds, unset meaning 0, and refuses anything else", () => {
    expect([parseLatencyMs(undefined), parseLatencyMs(""), parseLatencyMs("40")]).toEqual([0, 0, 40]);
    for (const bad of ["-1", "1.5", "fast"])
      expect(() => parseLatencyMs(bad)).toThrow(/FERRY_LOCAL_LATENCY_MS/);
  });
});

describe("the local runtime with FERRY_LOCAL_LATENCY_MS", () => {
  let rt: LocalRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ FERRY_LOCAL_LATENCY_MS: String(LATENCY_MS) });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it("gives handlers SQS and SES endpoints that take at least the knob per call", async () => {
    const sqsEndpoint = rt.environmentOf("createEmail").AWS_ENDPOINT_URL_SQS ?? "";
    const sesEndpoint = rt.environmentOf("emailWorker").AWS_ENDPOINT_URL_SESV2 ?? "";
    const sqs = new SQSClient({ region: rt.sqs.region, endpoint: sqsEndpoint, credentials });
    const ses = new SESv2Client({ region: rt.sqs.region, endpoint: sesEndpoint, credentials });

    const sqsCall = await measured(() =>
      sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: rt.sqs.queueUrls.emails?.url, AttributeNames: ["All"] }),
      ),
    );
    const sesCall = await measured(() =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: "sender@ferry.test",
          Destination: { ToAddresses: ["a@example.com"] },
          Content: { Simple: { Subject: { Data: "latency" }, Body: { Text: { Data: "t" } } } },
        }),
      ),
    );

    expect(sqsEndpoint).not.toBe(rt.sqs.endpoint);
    expect(sesEndpoint).not.toBe(rt.ses.endpoint);
    expect(sqsCall.ms).toBeGreaterThanOrEqual(LATENCY_MS);
    expect(sqsCall.value.Attributes?.QueueArn).toBe(rt.sqs.queueUrls.emails?.arn);
    expect(sesCall.ms).toBeGreaterThanOrEqual(LATENCY_MS);
    expect((await rt.outbox()).map((e) => e.messageId)).toContain(sesCall.value.MessageId);
  });

  it("makes POST /v1/emails (one SendMessage) take at least the knob", async () => {
    const { value: res, ms } = await measured(() =>
      call(rt.url, "POST", "/v1/emails", {
        key: rt.devApiKey,
        json: { to: "a@example.com", subject: "latency", text: "t" },
      }),
    );

    expect(res.status).toBe(202);
    expect(ms).toBeGreaterThanOrEqual(LATENCY_MS);
  });
});
