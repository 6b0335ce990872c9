/**
 * Local IAM: the local runtime enforces on every AWS call the role the stack gives each function
 * (the same statements, from the need table), so a missing grant fails here as it would on AWS.
 */
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAllowed } from "#infra/local/aws/local-iam.ts";
import { accessKeyOf } from "#infra/local/functions/function-env.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";
import type { Task } from "#shared/tasks/task.ts";
import { forFile } from "#test/support/for-file.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";

const credentialsOf = (functionName: string) => ({
  accessKeyId: accessKeyOf(functionName),
  secretAccessKey: "local",
});

describe("the evaluator", () => {
  const statements = [
    {
      Effect: "Allow" as const,
      Action: ["ses:SendEmail"],
      Resource: ["arn:aws:ses:us-east-1:000000000000:identity/*"],
      Condition: { StringEquals: { "ses:FromAddress": "ferry@example.com" } },
    },
  ];

  it("allows a matching action (case-insensitive) on a wildcard resource when the condition holds", () => {
    expect(
      isAllowed(statements, {
        action: "SES:sendemail",
        resource: "arn:aws:ses:us-east-1:000000000000:identity/example.com",
        context: { "ses:FromAddress": "ferry@example.com" },
      }),
    ).toBe(true);
  });

  it("denies another sender, another action, another account, and a missing condition key", () => {
    const resource = "arn:aws:ses:us-east-1:000000000000:identity/example.com";
    expect(
      isAllowed(statements, {
        action: "ses:SendEmail",
        resource,
        context: { "ses:FromAddress": "x@example.com" },
      }),
    ).toBe(false);
    expect(
      isAllowed(statements, {
        action: "ses:SendRawEmail",
        resource,
        context: { "ses:FromAddress": "ferry@example.com" },
      }),
    ).toBe(false);
    expect(
      isAllowed(statements, {
        action: "ses:SendEmail",
        resource: "arn:aws:ses:us-east-1:111111111111:identity/example.com",
        context: { "ses:FromAddress": "ferry@example.com" },
      }),
    ).toBe(false);
    expect(isAllowed(statements, { action: "ses:SendEmail", resource })).toBe(false);
  });
});

describe("each function's role, at the local AWS edge", () => {
  let rt: LocalRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ EMAIL_FROM: "sender@ferry.test" }, { expectDenials: true });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  const sqsAs = (fn: string) =>
    new SQSClient({ endpoint: rt.aws.sqs.endpoint, region: rt.sqs.region, credentials: credentialsOf(fn) });
  const sesAs = (fn: string) =>
    new SESv2Client({ endpoint: rt.aws.ses.endpoint, region: rt.sqs.region, credentials: credentialsOf(fn) });
  const email = (from: string) =>
    new SendEmailCommand({
      FromEmailAddress: from,
      Destination: { ToAddresses: ["a@example.com"] },
      Content: { Simple: { Subject: { Data: "iam" }, Body: { Text: { Data: "t" } } } },
    });

  it("lets a function send to the queue its need names, and refuses one without the need (403 AccessDenied)", async () => {
    const send = new SendMessageCommand({ QueueUrl: rt.sqs.queueUrls.emails?.url, MessageBody: "{}" });

    await expect(sqsAs("createEmail").send(send)).resolves.toMatchObject({ MessageId: expect.any(String) });
    const refused = await sqsAs("getTask")
      .send(send)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
      );

    expect(refused).toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    expect(refused?.message).toMatch(
      /getTask.*is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:/,
    );
    expect(rt.iam.denials.at(-1)).toMatchObject({ functionName: "getTask", action: "sqs:SendMessage" });
  });

  it("lets the email worker send from the configured sender only (403 AccessDeniedException otherwise)", async () => {
    await expect(sesAs("emailWorker").send(email("sender@ferry.test"))).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
    await expect(sesAs("emailWorker").send(email("someone-else@ferry.test"))).rejects.toMatchObject({
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(sesAs("createEmail").send(email("sender@ferry.test"))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
  });

  it("lets only websocket:manage functions post to connections", async () => {
    const as = (fn: string) =>
      new ApiGatewayManagementApiClient({
        endpoint: rt.callbackUrl,
        region: rt.sqs.region,
        credentials: credentialsOf(fn),
      });
    const post = new PostToConnectionCommand({ ConnectionId: "bm9wZQ=", Data: Buffer.from("{}") });

    // Allowed, and the connection does not exist: API Gateway's 410.
    await expect(as("wsMessage").send(post)).rejects.toMatchObject({ name: "GoneException" });
    await expect(as("getTask").send(post)).rejects.toMatchObject({
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
    });
  });
});

describe("a function that lost a need its code relies on", () => {
  let rt: LocalRuntime;
  let ses: SesFaultProxy;
  // The email worker without emailQueue:send: it still has the queue URL (from its consume
  // need) but no grant to requeue held messages, the defect a deployment once had.
  const worker = manifest.functions.emailWorker;
  if (!worker) throw new Error("no emailWorker");
  forFile(
    () =>
      startTestRuntimeBehindSesProxy(
        {
          SES_BREAKER_THRESHOLD: "1",
          SES_BREAKER_COOLDOWN_MS: "60000",
          SES_BREAKER_MAX_COOLDOWN_MS: "60000",
        },
        {
          db: 8,
          expectDenials: true,
          manifest: {
            ...manifest,
            functions: {
              ...manifest.functions,
              emailWorker: { ...worker, needs: worker.needs.filter((n) => n !== "emailQueue:send") },
            },
          },
        },
      ),
    (started) => {
      ({ rt, ses } = started);
      ses.setPlan(() => throttle());
    },
  );

  it("is refused the requeue while the SES circuit is open, as AWS would refuse it", async () => {
    // Act: the first email's throttle opens the breaker; the worker then requeues what it holds.
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const res = await call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
          key: rt.devApiKey,
          json: { to: "a@example.com", subject: `held ${n}`, text: "t" },
        });
        return res.body.taskId;
      }),
    );
    await eventually(
      async () => (rt.iam.denials.some((d) => d.action === "sqs:SendMessage") ? true : undefined),
      { timeoutMs: 15_000, what: "a refused requeue" },
    );

    // Assess
    expect(rt.iam.denials.find((d) => d.action === "sqs:SendMessage")).toMatchObject({
      functionName: "emailWorker",
      resource: expect.stringContaining(":ferry-emails"),
    });
    const tasks = await Promise.all(
      ids.map(async (id) => (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key: rt.devApiKey })).body),
    );
    expect(tasks.every((t) => t.status !== "succeeded")).toBe(true);
  });
});
