/**
 * Tracing as it runs in Lambda: with Lambda's environment, both the functions' AWS SDK calls and
 * their Upstash calls (traced by shared/aws/tracer.ts) reach the
 * X-Ray daemon as subsegments of the invocation's trace, with no token in them. The daemon is a
 * UDP socket of this test's; the Upstash proxy, Redis and fauxqs are real.
 */
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSqsEmulator } from "#infra/local/aws/sqs-emulator.ts";
import { manifest } from "#shared/app/manifest.ts";
import { startTestRedis } from "#test/support/upstash.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793";

interface Subsegment {
  readonly name: string;
  readonly namespace?: string;
  readonly trace_id?: string;
  readonly http?: { request?: { url?: string; method?: string }; response?: { status?: number } };
  readonly aws?: { operation?: string };
}

const documents: string[] = [];
let daemon: Socket;
let subsegments: Subsegment[] = [];
let token = "";

beforeAll(async () => {
  daemon = createSocket("udp4");
  daemon.on("message", (message) => documents.push(message.toString()));
  await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", () => resolve()));
  const redis = await startTestRedis();
  const sqs = await startSqsEmulator({ queues: { emails: manifest.queues.emails } });
  token = redis.token;
  try {
    const exit = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/support/trace-probe.ts"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH ?? "",
          AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
          LAMBDA_TASK_ROOT: ROOT,
          AWS_LAMBDA_FUNCTION_NAME: "createEmail",
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "local",
          AWS_SECRET_ACCESS_KEY: "local",
          _X_AMZN_TRACE_ID: `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`,
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
          AWS_XRAY_CONTEXT_MISSING: "IGNORE_ERROR",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          UPSTASH_REDIS_REST_URL: redis.url,
          UPSTASH_REDIS_REST_TOKEN: redis.token,
          AWS_ENDPOINT_URL_SQS: sqs.endpoint,
          EMAIL_QUEUE_URL: sqs.queueUrls.emails?.url ?? "",
        },
      });
      let output = "";
      child.stdout?.on("data", (c: Buffer) => {
        output += c.toString();
      });
      child.stderr?.on("data", (c: Buffer) => {
        output += c.toString();
      });
      const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.once("exit", (code) => {
        clearTimeout(deadline);
        resolve({ code, output });
      });
    });
    if (exit.code !== 0) throw new Error(`the probe failed (${exit.code}):\n${exit.output}`);
  } finally {
    await sqs.stop();
    await redis.close();
  }
  // Each datagram: a header line, then one JSON document.
  subsegments = documents.map((d) => JSON.parse(d.slice(d.indexOf("\n") + 1)) as Subsegment);
}, 60_000);

afterAll(() => {
  daemon?.close();
});

describe("tracing in Lambda", () => {
  it("traces each Upstash call as a remote subsegment of the invocation's trace", () => {
    const upstash = subsegments.filter((s) => s.namespace === "remote" && s.http?.request?.method === "POST");

    expect(upstash.length).toBeGreaterThan(0);
    expect(upstash[0]).toMatchObject({
      name: "127.0.0.1",
      trace_id: TRACE_ID,
      http: { response: { status: 200 } },
    });
  });

  it("traces the AWS SDK calls with their operation", () => {
    expect(subsegments).toContainEqual(
      expect.objectContaining({
        name: "SQS",
        namespace: "aws",
        aws: expect.objectContaining({ operation: "SendMessage" }),
      }),
    );
  });

  it("never puts the Upstash token in a trace", () => {
    expect(documents.join("\n")).not.toContain(token);
  });
});
