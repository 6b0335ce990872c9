/**
 * `npm run dev` against external AWS endpoints (FERRY_LOCAL_SQS_ENDPOINT, _SES_, _SECRETS_):
 * fauxqs, aws-ses-v2-local and a Secrets Manager each run as a process of their own, as LocalStack
 * or any other emulator would. The runtime creates the manifest's queues there, the functions'
 * calls still pass the local AWS edge (local IAM, inspectors), their secrets are read by reference
 * from the external Secrets Manager, and an endpoint that does not answer stops the start, named.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AwsCall } from "#infra/local/aws/aws-proxy.ts";
import { awsBannerLines } from "#infra/local/aws/external-banner.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import {
  type EmulatorProcess,
  spawnFauxqs,
  spawnSecretsManager,
  spawnSesLocal,
} from "#test/support/emulator-processes.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { closedPort, startSilentServer } from "#test/support/silent-server.ts";
import {
  paymentIntent,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
const SECRET_ID = "ferry-external-e2e";
const SECRET_ONLY_IN_SECRETS_MANAGER = "whsec_only_in_the_external_secrets_manager";

let sqs: EmulatorProcess | undefined;
let ses: EmulatorProcess | undefined;
let sm: EmulatorProcess | undefined;
let runtime: LocalRuntime | undefined;
const children: ChildProcess[] = [];
const localDir = mkdtempSync(join(tmpdir(), "ferry-external-"));
const calls: AwsCall[] = [];

const smClient = () =>
  new SecretsManagerClient({ endpoint: sm?.url, region: "us-east-1", credentials: CREDENTIALS });
const sqsClient = () => new SQSClient({ endpoint: sqs?.url, region: "us-east-1", credentials: CREDENTIALS });

const externalEnv = () => ({
  FERRY_LOCAL_SQS_ENDPOINT: sqs?.url ?? "",
  FERRY_LOCAL_SES_ENDPOINT: ses?.url ?? "",
  FERRY_LOCAL_SECRETS_ENDPOINT: sm?.url ?? "",
  FERRY_LOCAL_SECRET_ID: SECRET_ID,
});

beforeAll(async () => {
  // Settled one by one, so that afterAll kills those that started even when another did not.
  const spawned = await Promise.allSettled([spawnFauxqs(), spawnSesLocal(), spawnSecretsManager()]);
  [sqs, ses, sm] = spawned.map((r) => (r.status === "fulfilled" ? r.value : undefined));
  const failed = spawned.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  // A key set before the first start, as `npm run secrets -- set` would: only there, nowhere else.
  const client = smClient();
  await client.send(
    new CreateSecretCommand({
      Name: SECRET_ID,
      SecretString: JSON.stringify({ STRIPE_WEBHOOK_SECRET: SECRET_ONLY_IN_SECRETS_MANAGER }),
    }),
  );
  client.destroy();
  runtime = await startTestRuntime({ ...externalEnv(), FERRY_SECRETS_TTL_SECONDS: "0" });
  for (const edge of [runtime.aws.sqs, runtime.aws.ses, runtime.aws.secrets]) {
    edge?.use((c) => {
      calls.push(c);
      return undefined;
    });
  }
}, 60_000);

afterAll(async () => {
  try {
    await runtime?.stop();
  } finally {
    // Every child, by its pid, even when stopping the runtime failed (a local IAM denial, say).
    for (const child of children) {
      if (child.pid && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, "SIGKILL");
    }
    await Promise.all([sqs?.kill(), ses?.kill(), sm?.kill()]);
    rmSync(localDir, { recursive: true, force: true });
  }
});

const started = () => {
  if (!runtime) throw new Error("the runtime did not start");
  return runtime;
};

/** `npm run dev` as a user runs it; resolves when it exits (or after `untilOutput` appears). */
function runDev(
  env: Record<string, string>,
  untilOutput?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string; child: ChildProcess }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "infra/local/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", REDIS_URL: inject("redisUrl"), FERRY_LOCAL_DIR: localDir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (untilOutput?.test(stdout)) resolve({ code: null, stdout, stderr, child });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr, child });
    });
  });
}

describe("npm run dev with external SQS, SES and Secrets Manager", () => {
  it("creates every manifest queue and its dead-letter queue on the external SQS", async () => {
    const client = sqsClient();
    const listed = await client.send(new ListQueuesCommand({}));
    const emailsUrl = (await client.send(new GetQueueUrlCommand({ QueueName: "ferry-emails" }))).QueueUrl;
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: emailsUrl, AttributeNames: ["RedrivePolicy"] }),
    );
    client.destroy();

    const names = (listed.QueueUrls ?? []).map((url) => url.split("/").pop());
    expect(names).toEqual(
      expect.arrayContaining([
        "ferry-emails",
        "ferry-emails-dlq",
        "ferry-payments.fifo",
        "ferry-payments-dlq.fifo",
      ]),
    );
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toMatchObject({ maxReceiveCount: 8 });
    expect(started().external.sqs?.created).toEqual(
      expect.arrayContaining(["ferry-emails", "ferry-emails-dlq"]),
    );
  });

  it("sends an email end to end through the edge, into the external SES's own store", async () => {
    const rt = started();
    const subject = `external-${Date.now()}`;

    const accepted = await call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
      key: rt.devApiKey,
      json: { to: "ada@example.com", subject, text: "through external endpoints" },
    });
    const task = await eventually(async () => {
      const res = await call<{ status: string }>(rt.url, "GET", `/v1/tasks/${accepted.body.taskId}`, {
        key: rt.devApiKey,
      });
      return res.body.status === "succeeded" ? res.body : undefined;
    });
    const store = (await (await fetch(`${ses?.url}/store`)).json()) as {
      emails: { subject: string; destination: { to: string[] } }[];
    };

    expect(accepted.status).toBe(202);
    expect(task.status).toBe("succeeded");
    expect(store.emails.filter((e) => e.subject === subject)).toEqual([
      expect.objectContaining({ destination: expect.objectContaining({ to: ["ada@example.com"] }) }),
    ]);
    expect((await rt.outbox()).map((e) => e.subject)).toContain(subject);
    // The functions' calls were seen at the edge, signed with their own keys (local IAM's view).
    const actions = calls.map((c) => `${c.accessKeyId} ${c.action}`);
    expect(actions).toContain("LOCALcreateEmail SendMessage");
    expect(actions).toContain("LOCALemailWorker SendEmail");
  });

  it("still applies the edge's fault inspectors to calls bound for the external endpoint", async () => {
    const rt = started();
    const subject = `refused-${Date.now()}`;
    const remove = rt.aws.sqs.use((c) =>
      c.action === "SendMessage" && JSON.stringify(c.input).includes(subject)
        ? { kind: "error", status: 503, code: "ServiceUnavailable", message: "injected at the edge" }
        : undefined,
    );

    const res = await call(rt.url, "POST", "/v1/emails", {
      key: rt.devApiKey,
      json: { to: "ada@example.com", subject, text: "never queued" },
    });
    remove();

    expect(res.status).toBe(503);
  });

  it("gives functions their secret by reference, never as a plain variable", () => {
    const env = started().environmentOf("webhook");

    expect(env.FERRY_SECRETS_ARN).toMatch(/^arn:aws:secretsmanager:.*:secret:ferry-external-e2e/);
    expect(env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(started().aws.secrets?.endpoint);
    expect(env.STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(env.UPSTASH_REDIS_REST_TOKEN).toBeUndefined();
  });

  it("verifies a webhook with the secret read from the external Secrets Manager", async () => {
    const rt = started();
    const now = Math.floor(Date.now() / 1000);
    const intent = paymentIntent();
    const body = stripeEventBody("payment_intent.succeeded", intent);
    const post = (secret: string) =>
      call(rt.url, "POST", "/v1/webhooks/stripe", {
        body: body.toString("utf8"),
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": stripeSignatureHeader(body, secret, now),
        },
      });

    const withDevDefault = await post("whsec_ferry_local_development_secret");
    const withStoredSecret = await post(SECRET_ONLY_IN_SECRETS_MANAGER);
    const payment = await eventually(async () => {
      const res = await call(rt.url, "GET", `/v1/payments/stripe/${intent.id}`, { key: rt.devApiKey });
      return res.status === 200 ? res.body : undefined;
    });

    expect(withDevDefault.status).toBe(401);
    expect(withStoredSecret.status).toBe(200);
    expect(payment).toMatchObject({ status: "succeeded" });
    expect(rt.webhookSecrets.stripe).toBe(SECRET_ONLY_IN_SECRETS_MANAGER);
    expect(calls.map((c) => `${c.accessKeyId} ${c.action}`)).toContain("LOCALwebhook GetSecretValue");
  });

  it("takes a rotated secret without a restart", async () => {
    const rt = started();
    const client = smClient();
    const current = JSON.parse(
      (await client.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString ?? "{}",
    ) as Record<string, string>;
    await client.send(
      new PutSecretValueCommand({
        SecretId: SECRET_ID,
        SecretString: JSON.stringify({ ...current, STRIPE_WEBHOOK_SECRET: "whsec_rotated_in_place" }),
      }),
    );
    client.destroy();
    const body = stripeEventBody("payment_intent.processing", paymentIntent({ status: "processing" }));

    const res = await call(rt.url, "POST", "/v1/webhooks/stripe", {
      body: body.toString("utf8"),
      headers: {
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": stripeSignatureHeader(
          body,
          "whsec_rotated_in_place",
          Math.floor(Date.now() / 1000),
        ),
      },
    });

    expect(res.status).toBe(200);
  });

  it("prints which services are external in the banner", () => {
    const lines = awsBannerLines(started()).join("\n");

    expect(lines).toContain(`SQS         ${sqs?.url} — external (FERRY_LOCAL_SQS_ENDPOINT)`);
    expect(lines).toContain(`SES         ${ses?.url} — external (FERRY_LOCAL_SES_ENDPOINT)`);
    expect(lines).toContain(`Secrets     ${sm?.url} — external (FERRY_LOCAL_SECRETS_ENDPOINT)`);
  });

  it("restarted as npm run dev, finds the queues and the secret and keeps the secret's keys", async () => {
    await started().stop();
    runtime = undefined;

    const run = await runDev(externalEnv(), /Press Ctrl\+C to stop\./);
    run.child.kill("SIGTERM");
    const exit = await new Promise<string>((resolve) =>
      run.child.once("exit", (code, signal) => resolve(`${code ?? signal}: ${run.stderr}`)),
    );
    const client = smClient();
    const stored = JSON.parse(
      (await client.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString ?? "{}",
    ) as Record<string, string>;
    client.destroy();

    expect(run.stdout).toMatch(
      /SQS .* — external \(FERRY_LOCAL_SQS_ENDPOINT\); queues created: none; already there: /,
    );
    expect(run.stdout).toMatch(/secret ferry-external-e2e \(found\)/);
    expect(run.stdout).toMatch(/STRIPE_WEBHOOK_SECRET\s+whsec_rotated_in_place/);
    expect(exit).toBe("0: ");
    expect(stored.STRIPE_WEBHOOK_SECRET).toBe("whsec_rotated_in_place");
    // A key the secret lacked was filled with the dev default; the runtime's own token is there.
    expect(stored.RAZORPAY_WEBHOOK_SECRET).toBe("ferry-local-razorpay-webhook-secret");
    expect(stored.UPSTASH_REDIS_REST_TOKEN).toMatch(/^[\w-]{20,}$/);
  }, 40_000);

  it("refuses to start when an endpoint does not answer, naming the variable and the endpoint", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;

    const run = await runDev({ ...externalEnv(), FERRY_LOCAL_SES_ENDPOINT: dead });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`FERRY_LOCAL_SES_ENDPOINT=${dead}: SES does not answer (ECONNREFUSED)`);
    expect(run.stdout).not.toMatch(/ready/);
  }, 40_000);

  it("refuses an endpoint that accepts connections and never answers, within its probe budget", async () => {
    const silent = await startSilentServer();
    try {
      const startedAt = Date.now();

      const start = startTestRuntime({ FERRY_LOCAL_SECRETS_ENDPOINT: silent.url });

      await expect(start).rejects.toThrow(
        `FERRY_LOCAL_SECRETS_ENDPOINT=${silent.url}: Secrets Manager does not answer (no answer within 3 s)`,
      );
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    } finally {
      await silent.close();
    }
  });

  it("refuses a malformed endpoint, naming the variable", async () => {
    const run = await runDev({ FERRY_LOCAL_AWS_ENDPOINT: "localhost:4566/x" });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /FERRY_LOCAL_AWS_ENDPOINT: "localhost:4566\/x" must be an http:\/\/ or https:\/\/ URL/,
    );
  }, 40_000);
});
