/** The email task queue: POST /v1/emails → emails queue → SES worker; GET /v1/tasks/{taskId}. */
import type { ManifestPart } from "./types.ts";

const WORKER_TIMEOUT_SECONDS = 30;

export const email = {
  functions: {
    createEmail: {
      entry: "functions/http/create-email.ts",
      description: "POST /v1/emails: validate, enqueue, 202 with a task id",
      timeoutSeconds: 10,
      memoryMb: 256,
      needs: ["emailQueue:send"],
    },
    getTask: {
      entry: "functions/http/get-task.ts",
      description: "GET /v1/tasks/{taskId}: the caller's task",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
    },
    emailWorker: {
      entry: "functions/workers/email.ts",
      description: "Email queue consumer: sends through SES with retries, backoff and a circuit breaker",
      timeoutSeconds: WORKER_TIMEOUT_SECONDS,
      memoryMb: 256,
      needs: ["ses:send", "websocket:manage"],
    },
  },
  httpRoutes: [
    {
      method: "POST",
      path: "/v1/emails",
      function: "createEmail",
      auth: { kind: "apiKey", scopes: ["emails:send"] },
      rateLimit: ["api", "emails"],
    },
    {
      method: "GET",
      path: "/v1/tasks/{taskId}",
      function: "getTask",
      auth: { kind: "apiKey", scopes: ["tasks:read"] },
      rateLimit: ["api"],
    },
  ],
  queues: {
    emails: {
      fifo: false,
      worker: "emailWorker",
      batchSize: 10,
      maxBatchingWindowSeconds: 1,
      // AWS's advice for SQS consumers: at least 6 × the function timeout.
      visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
      maxReceiveCount: 8,
      retentionDays: 4,
      dlqRetentionDays: 14,
    },
  },
} as const satisfies ManifestPart;
