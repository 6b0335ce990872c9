/**
 * Payment webhooks (docs/payments.md): three provider routes → payments FIFO queue → payment
 * worker (state + receipt emails through the email queue); GET /v1/payments[/{provider}/{paymentId}].
 */
import type { ManifestPart, RouteSpec } from "./types.ts";

const WORKER_TIMEOUT_SECONDS = 30;

const webhookRoute = (provider: "stripe" | "razorpay" | "payu") =>
  ({
    method: "POST",
    path: `/v1/webhooks/${provider}`,
    auth: { kind: "webhookSignature" },
    rateLimit: ["webhooks"],
  }) as const satisfies RouteSpec;

export const payments = {
  functions: {
    webhook: {
      entry: "functions/http/webhook.ts",
      description: "POST /v1/webhooks/{stripe|razorpay|payu}: verify the signature, queue the event, 200",
      timeoutSeconds: 10,
      memoryMb: 256,
      needs: ["paymentQueue:send"],
      http: [webhookRoute("stripe"), webhookRoute("razorpay"), webhookRoute("payu")],
    },
    getPayment: {
      entry: "functions/http/get-payment.ts",
      description: "GET /v1/payments/{provider}/{paymentId}[/emails/{kind}]: the payment, its email tasks",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      http: [
        {
          method: "GET",
          path: "/v1/payments/{provider}/{paymentId}",
          auth: { kind: "apiKey", scopes: ["payments:read"] },
          rateLimit: ["api"],
        },
        {
          method: "GET",
          path: "/v1/payments/{provider}/{paymentId}/emails/{kind}",
          auth: { kind: "apiKey", scopes: ["payments:read"] },
          rateLimit: ["api"],
        },
      ],
    },
    listPayments: {
      entry: "functions/http/list-payments.ts",
      description: "GET /v1/payments: payments newest first, by provider and status, cursor pagination",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      http: [
        {
          method: "GET",
          path: "/v1/payments",
          auth: { kind: "apiKey", scopes: ["payments:read"] },
          rateLimit: ["api"],
        },
      ],
    },
    paymentWorker: {
      entry: "functions/workers/payment.ts",
      description: "Payments FIFO consumer: applies events idempotently, enqueues receipt emails",
      timeoutSeconds: WORKER_TIMEOUT_SECONDS,
      memoryMb: 256,
      needs: ["paymentQueue:consume", "emailQueue:send"],
    },
  },
  queues: {
    payments: {
      fifo: true,
      worker: "paymentWorker",
      batchSize: 10,
      // AWS allows no batching window on FIFO event sources.
      maxBatchingWindowSeconds: 0,
      // >= 6 × the worker timeout (AWS) and > the 30 s effect claim (shared/payments/keys.ts), so a
      // message whose worker died comes back to find the claim lapsed.
      visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
      maxReceiveCount: 5,
      // Stripe retries for 3 days; anything stuck longer is in the DLQ, kept 14 days for a redrive.
      retentionDays: 4,
      dlqRetentionDays: 14,
      // Payments are spread over message groups; 5 leaves room in a new account's quota of 10.
      maxConcurrency: 5,
    },
  },
} as const satisfies ManifestPart;
