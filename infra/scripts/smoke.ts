/**
 * `npm run smoke -- --base-url <HttpApiUrl> --api-key <key> [--timeout-seconds 90]`
 * Proves a deployment works end to end, one pass/fail line per step, exit 0 when all pass:
 *   health · an email to SES's success simulator accepted, with rate-limit headers · a WebSocket
 *   subscription to its task · the task reaching `succeeded` · its WebSocket push · for each
 *   provider whose secret is in the environment (STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET,
 *   PAYU_MERCHANT_KEY + PAYU_MERCHANT_SALT), a signed test webhook reaching its payment record.
 * The key needs emails:send, tasks:read, realtime:connect and payments:read. A step whose
 * prerequisite failed is skipped, not run. Nothing it creates needs cleaning up: the email goes
 * to SES's mailbox simulator, the payments have fresh `*_smoke_*` ids and no customer email.
 */
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { runAsEntry } from "./run-as-entry.ts";
import { type SmokeWebhook, smokeSecretsFrom, smokeWebhooks } from "./smoke/webhooks.ts";

const USAGE =
  "Usage: npm run smoke -- --base-url <HttpApiUrl> --api-key <key> [--timeout-seconds 90]\n" +
  "Webhook secrets (optional, from the environment): STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, PAYU_MERCHANT_KEY + PAYU_MERCHANT_SALT";

/** SES's mailbox simulator: accepted and "delivered", in the sandbox too, with no real mailbox. */
export const SUCCESS_SIMULATOR = "success@simulator.amazonses.com";

export interface SmokeOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly out?: (line: string) => void;
}

class StepFailed extends Error {}

interface Response {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function main(argv: readonly string[], options: SmokeOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  let baseUrl: string;
  let apiKey: string;
  let timeoutMs: number;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        "base-url": { type: "string" },
        "api-key": { type: "string" },
        "timeout-seconds": { type: "string", default: "90" },
      },
    });
    if (!values["base-url"] || !values["api-key"]) throw new Error("--base-url and --api-key are required");
    baseUrl = values["base-url"].replace(/\/+$/, "");
    apiKey = values["api-key"];
    timeoutMs = Number(values["timeout-seconds"]) * 1000;
    if (!(timeoutMs > 0)) throw new Error("--timeout-seconds must be a positive number");
  } catch (error) {
    out(`smoke: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }

  const call = async (
    method: string,
    path: string,
    init: { json?: unknown; body?: string; headers?: Record<string, string>; auth?: boolean } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.auth !== false) headers.authorization = `Bearer ${apiKey}`;
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  const expectStatus = (res: Response, status: number, what: string) => {
    if (res.status !== status) {
      const detail =
        typeof res.body?.detail === "string"
          ? `: ${res.body.detail}`
          : res.text
            ? `: ${res.text.slice(0, 200)}`
            : "";
      throw new StepFailed(`${what} answered ${res.status}, expected ${status}${detail}`);
    }
  };
  const deadline = Date.now() + timeoutMs;
  const until = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new StepFailed(`${what} within ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  };

  const results: { name: string; ok: boolean | "skipped" }[] = [];
  const step = async <T>(
    name: string,
    run: () => Promise<T>,
    needs: readonly unknown[] = [],
  ): Promise<T | undefined> => {
    if (needs.some((n) => n === undefined)) {
      results.push({ name, ok: "skipped" });
      out(`- ${name}: skipped (an earlier step failed)`);
      return undefined;
    }
    const startedAt = Date.now();
    try {
      const value = await run();
      results.push({ name, ok: true });
      out(`✓ ${name} (${Date.now() - startedAt} ms)`);
      return value ?? (true as T);
    } catch (error) {
      results.push({ name, ok: false });
      const message =
        error instanceof StepFailed ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
      out(`✗ ${name}: ${message}`);
      return undefined;
    }
  };

  await step("health", async () => {
    const res = await call("GET", "/health", { auth: false });
    expectStatus(res, 200, "GET /health");
    if (res.body?.status !== "ok")
      throw new StepFailed(
        `GET /health reports ${JSON.stringify(res.body?.status)}: ${res.text.slice(0, 300)}`,
      );
  });

  const accepted = await step("email accepted", async () => {
    const res = await call("POST", "/v1/emails", {
      json: {
        to: [SUCCESS_SIMULATOR],
        subject: "Ferry smoke test",
        text: `Smoke test at ${new Date().toISOString()}`,
      },
    });
    expectStatus(res, 202, "POST /v1/emails");
    const taskId = res.body?.taskId;
    if (typeof taskId !== "string") throw new StepFailed("POST /v1/emails answered 202 without a taskId");
    return { taskId, headers: res.headers };
  });

  await step("rate-limit headers", async () => {
    const policy = accepted?.headers.get("ratelimit-policy");
    const state = accepted?.headers.get("ratelimit");
    if (!policy || !state)
      throw new StepFailed("POST /v1/emails carried no RateLimit-Policy / RateLimit header");
  }, [accepted]);

  const socket = await step("websocket subscribed", async () => {
    const res = await call("POST", "/v1/realtime/tickets");
    expectStatus(res, 201, "POST /v1/realtime/tickets");
    const url = res.body?.url;
    if (typeof url !== "string") throw new StepFailed("the ticket has no url");
    const ws = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    ws.on("message", (data) => {
      try {
        messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        // not JSON: ignored
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, r) =>
        reject(new StepFailed(`the WebSocket upgrade was refused with ${r.statusCode}`)),
      );
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ action: "subscribe", taskId: accepted?.taskId }));
    await until(
      "no subscribed message",
      async () => messages.find((m) => m.type === "subscribed") ?? messages.find((m) => m.type === "error"),
    );
    const refused = messages.find((m) => m.type === "error");
    if (refused) throw new StepFailed(`subscribe refused: ${JSON.stringify(refused.error)}`);
    return { ws, messages };
  }, [accepted]);

  await step("email succeeded", async () => {
    const task = await until("the task did not reach succeeded", async () => {
      const res = await call("GET", `/v1/tasks/${accepted?.taskId}`);
      expectStatus(res, 200, "GET /v1/tasks/{taskId}");
      if (res.body?.status === "failed")
        throw new StepFailed(`the task failed: ${JSON.stringify(res.body.error)}`);
      return res.body?.status === "succeeded" ? res.body : undefined;
    });
    return task;
  }, [accepted]);

  await step("websocket push", async () => {
    const isSucceeded = (m: Record<string, unknown>) =>
      m.type === "task.updated" && (m.task as { status?: unknown } | undefined)?.status === "succeeded";
    await until("no task.updated with status succeeded arrived", async () =>
      socket?.messages.find(isSucceeded),
    );
  }, [socket]);
  socket?.ws.close();

  const webhooks = smokeWebhooks(smokeSecretsFrom(options.env ?? process.env));
  if (webhooks.length === 0) out("- webhooks: skipped (no provider secret in the environment)");
  for (const webhook of webhooks) await step(`webhook ${webhook.provider}`, () => deliver(webhook));

  async function deliver(webhook: SmokeWebhook): Promise<void> {
    const res = await call("POST", `/v1/webhooks/${webhook.provider}`, {
      body: webhook.body,
      headers: webhook.headers,
      auth: false,
    });
    expectStatus(res, 200, `POST /v1/webhooks/${webhook.provider}`);
    await until(`the ${webhook.provider} payment ${webhook.paymentId} did not reach succeeded`, async () => {
      const payment = await call(
        "GET",
        `/v1/payments/${webhook.provider}/${encodeURIComponent(webhook.paymentId)}`,
      );
      if (payment.status === 404) return undefined;
      expectStatus(payment, 200, "GET /v1/payments/{provider}/{paymentId}");
      return payment.body?.status === "succeeded" ? true : undefined;
    });
  }

  const failed = results.filter((r) => r.ok === false).map((r) => r.name);
  const skipped = results.filter((r) => r.ok === "skipped").length;
  out(
    failed.length === 0
      ? `smoke: PASS (${results.length - skipped} steps against ${baseUrl})`
      : `smoke: FAIL at ${failed.join(", ")}${skipped ? ` (${skipped} skipped)` : ""}`,
  );
  return failed.length === 0 ? 0 : 1;
}

runAsEntry(import.meta.url, "smoke", main);
