/**
 * What the payments end-to-end files share: a local runtime (HTTP gateway → webhook handler →
 * payments FIFO queue (fauxqs) → poller → payment worker → email queue → email worker → SES
 * emulator) with the providers' secrets, API keys, and helpers to post signed deliveries and to
 * observe queues, payments and the outbox. Deliveries are signed by the providers' own SDKs
 * (test/webhooks/support).
 *
 * The handlers run in the test's process, so the SQS client they share (shared/aws/sqs-client.ts) is
 * the one the harness spies on: every SendMessage is recorded, and a one-shot fault can be armed
 * for a chosen message (the fault a crashed or partitioned worker meets, caused at the SDK
 * boundary). Only one local runtime may run per process: a test file calls usePaymentsHarness()
 * once and reads the harness as `h`, or starts its own with startPaymentsHarness(env) and stops it.
 */
import { randomBytes } from "node:crypto";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import { paymentKey } from "#shared/payments/keys.ts";
import type { Payment } from "#shared/payments/payment.ts";
import type { PaymentProvider } from "#shared/payments/payment-event.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { forFile } from "#test/support/for-file.ts";
import { type ApiResponse, call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { redisOf } from "#test/support/upstash.ts";
import { PAYU_KEY, PAYU_OLD_SALT, PAYU_SALT } from "#test/webhooks/support/payu-fixtures.ts";
import { RAZORPAY_OLD_SECRET, RAZORPAY_SECRET } from "#test/webhooks/support/razorpay-fixtures.ts";
import {
  STRIPE_OLD_SECRET,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";

/** One SendMessage the handlers made through the shared client. */
export interface Send {
  readonly queueUrl: string;
  readonly groupId?: string;
  readonly taskId?: string;
}

export interface PaymentsQueueUrls {
  readonly payments: string;
  readonly paymentsDlq: string;
  readonly emails: string;
}

// ---------------------------------------------------------------- helpers that need no runtime

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString("hex")}@example.com`;
/** The body every webhook acknowledgement carries. */
export const received = { received: true };

export const expectProblem = (res: ApiResponse, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
};

// ---------------------------------------------------------------- the harness

export type PaymentsHarness = Awaited<ReturnType<typeof startPaymentsHarness>>;

/** `env`: more handler environment, e.g. the verify-with-provider switches (e2e-verify.test.ts). */
export async function startPaymentsHarness(env: Record<string, string> = {}) {
  const rt: LocalRuntime = await startTestRuntime({
    // Rotation: both values of each secret are accepted.
    STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${STRIPE_OLD_SECRET}`,
    RAZORPAY_WEBHOOK_SECRET: `${RAZORPAY_SECRET},${RAZORPAY_OLD_SECRET}`,
    PAYU_MERCHANT_KEY: PAYU_KEY,
    PAYU_MERCHANT_SALT: `${PAYU_SALT},${PAYU_OLD_SALT}`,
    EMAIL_FROM: "payments@ferry.test",
    ...env,
    // Every delivery here comes from 127.0.0.1: startTestRuntime's generous RATE_LIMITS keep the
    // webhooks policy (which has its own tests) out of the way.
  });
  try {
    const payments = rt.sqs.queueUrls.payments;
    const emails = rt.sqs.queueUrls.emails;
    if (!payments || !emails) throw new Error("the runtime has no payments or emails queue");
    const queueUrls: PaymentsQueueUrls = {
      payments: payments.url,
      paymentsDlq: payments.dlqUrl,
      emails: emails.url,
    };

    /** Every SendMessage the handlers made, in order (one per call, whatever its retries). */
    const sends: Send[] = [];
    /** One-shot faults: the first SendMessage a predicate matches fails, and the predicate is spent. */
    const faults: ((send: Send) => boolean)[] = [];
    let faultsFired = 0;
    /** SDK invocation ids of calls a fault fired on: their retries fail too, as in an outage. */
    const failing = new Set<string>();
    const seen = new Set<string>();

    // At the local AWS edge, where the functions' SendMessage calls pass (aws-proxy.ts).
    rt.aws.sqs.use((call) => {
      if (call.action !== "SendMessage") return undefined;
      const refuse = {
        kind: "error",
        status: 503,
        code: "ServiceUnavailable",
        message: "injected: the queue is unreachable",
      } as const;
      if (failing.has(call.invocationId)) return refuse;
      if (seen.has(call.invocationId)) return undefined;
      seen.add(call.invocationId);
      const input = call.input as {
        QueueUrl?: string;
        MessageGroupId?: string;
        MessageAttributes?: Record<string, { StringValue?: string }>;
      };
      const taskId = input.MessageAttributes?.taskId?.StringValue;
      const send: Send = {
        queueUrl: input.QueueUrl ?? "",
        ...(input.MessageGroupId ? { groupId: input.MessageGroupId } : {}),
        ...(taskId ? { taskId } : {}),
      };
      sends.push(send);
      const fault = faults.findIndex((matches) => matches(send));
      if (fault < 0) return undefined;
      faults.splice(fault, 1);
      faultsFired++;
      failing.add(call.invocationId);
      return refuse;
    });

    const redis: RedisClient = redisOf(rt);
    const paymentsKey = (await createApiKey(redis, { name: "payments", scopes: ["payments:read"] })).secret;
    const tasksOnlyKey = (await createApiKey(redis, { name: "tasks", scopes: ["tasks:read"] })).secret;

    // ------------------------------------------------------------ deliveries, as providers post them

    const postStripe = (body: Buffer, signature: string | undefined) =>
      call(rt.url, "POST", "/v1/webhooks/stripe", {
        body: body.toString("utf8"),
        headers: {
          "content-type": "application/json; charset=utf-8",
          ...(signature !== undefined ? { "stripe-signature": signature } : {}),
        },
      });

    /** Posts a Stripe event signed by stripe-node; returns the response and the body sent. */
    const deliverStripe = async (
      type: string,
      object: unknown,
      options: { id?: string; created?: number; secret?: string; signedAt?: number } = {},
    ) => {
      const body = stripeEventBody(type, object, {
        ...(options.id ? { id: options.id } : {}),
        ...(options.created ? { created: options.created } : {}),
      });
      const header = stripeSignatureHeader(
        body,
        options.secret ?? STRIPE_SECRET,
        options.signedAt ?? nowSeconds(),
      );
      return { response: await postStripe(body, header), body };
    };

    const postRazorpay = (body: Buffer, headers: Record<string, string>) =>
      call(rt.url, "POST", "/v1/webhooks/razorpay", {
        body: body.toString("utf8"),
        headers: { "content-type": "application/json", ...headers },
      });

    const postPayu = (body: Buffer) =>
      call(rt.url, "POST", "/v1/webhooks/payu", {
        body: body.toString("utf8"),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });

    // ------------------------------------------------------------ observing the system

    /** `key: null` sends no Authorization header. */
    const getPayment = (provider: string, paymentId: string, key: string | null = paymentsKey) =>
      call<Payment & { type?: string }>(
        rt.url,
        "GET",
        `/v1/payments/${provider}/${encodeURIComponent(paymentId)}`,
        {
          ...(key !== null ? { key } : {}),
        },
      );

    const paymentOf = (provider: PaymentProvider, paymentId: string) =>
      eventually(
        async () => {
          const res = await getPayment(provider, paymentId);
          return res.status === 200 ? res.body : undefined;
        },
        { what: `${provider} payment ${paymentId}` },
      );

    /**
     * An SQS client of the test's own, straight to the emulator (its calls are not recorded), or
     * `throughEdge` like the functions' (recorded in `sends`, faults apply).
     */
    const observer = (options: { throughEdge?: boolean } = {}) =>
      new SQSClient({
        region: rt.sqs.region,
        endpoint: options.throughEdge ? rt.aws.sqs.endpoint : rt.sqs.endpoint,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      });

    const depth = async (queueUrl: string): Promise<number> => {
      const client = observer();
      try {
        const out = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: [
              "ApproximateNumberOfMessages",
              "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed",
            ],
          }),
        );
        const a = out.Attributes ?? {};
        return (
          Number(a.ApproximateNumberOfMessages ?? 0) +
          Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
          Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
        );
      } finally {
        client.destroy();
      }
    };

    /**
     * Waits until every queued payment event and then every queued email has been processed. The
     * payments queue is checked first: its messages are deleted only after their emails were queued.
     */
    const settled = async (): Promise<void> => {
      await eventually(
        async () =>
          (await depth(queueUrls.payments)) === 0 && (await depth(queueUrls.emails)) === 0 ? true : undefined,
        { timeoutMs: 30_000, intervalMs: 200, what: "the payments and email queues to drain" },
      );
    };

    const emailsTo = async (address: string) => (await rt.outbox()).filter((e) => e.to.includes(address));

    const sendsTo = (queueUrl: string) => sends.filter((s) => s.queueUrl === queueUrl);

    const storedEffects = async (provider: PaymentProvider, paymentId: string) => {
      const raw = await redis.get<string>(paymentKey(provider, paymentId));
      return raw ? (JSON.parse(raw) as { effects: Record<string, { enqueued: boolean }> }).effects : {};
    };

    return {
      rt,
      redis,
      /** A key with payments:read. */
      paymentsKey,
      /** A key with tasks:read only. */
      tasksOnlyKey,
      queueUrls,
      /** Every SendMessage the handlers made through the shared client, in order. */
      sends: sends as readonly Send[],
      /** Arms a one-shot fault: the first SendMessage `matches` accepts fails as an outage would. */
      injectFault(matches: (send: Send) => boolean): void {
        faults.push(matches);
      },
      /** How many armed faults fired since the last resetFaults(). */
      get faultsFired(): number {
        return faultsFired;
      },
      /** Disarms every fault and zeroes the count (call it before each test that arms any). */
      resetFaults(): void {
        faults.length = 0;
        faultsFired = 0;
      },
      postStripe,
      deliverStripe,
      postRazorpay,
      postPayu,
      getPayment,
      paymentOf,
      observer,
      depth,
      settled,
      emailsTo,
      sendsTo,
      storedEffects,
      stop: () => rt.stop(),
    };
  } catch (error) {
    await rt.stop();
    throw error;
  }
}

// ---------------------------------------------------------------- one harness per file

/**
 * The file's harness, set before its first test by usePaymentsHarness(): a live binding, read as
 * `h` in tests (vitest gives each test file its own module instances).
 */
export let h: PaymentsHarness;

/** Call once at the top of a test file: one harness for all its tests, stopped after the last. */
export function usePaymentsHarness(): void {
  forFile(
    () => startPaymentsHarness(),
    (started) => {
      h = started;
    },
  );
}
