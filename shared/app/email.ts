/** The email task queue: POST /v1/emails → emails queue → SES worker; GET /v1/tasks[/{taskId}]. */
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
      http: [
        {
          method: "POST",
          path: "/v1/emails",
          auth: { kind: "apiKey", scopes: ["emails:send"] },
          rateLimit: ["api", "emails"],
        },
      ],
    },
    getTask: {
      entry: "functions/http/get-task.ts",
      description: "GET /v1/tasks/{taskId}: the caller's task",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      http: [
        {
          method: "GET",
          path: "/v1/tasks/{taskId}",
          auth: { kind: "apiKey", scopes: ["tasks:read"] },
          rateLimit: ["api"],
        },
      ],
    },
    listTasks: {
      entry: "functions/http/list-tasks.ts",
      description: "GET /v1/tasks: the caller's tasks, newest first, cursor pagination",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      http: [
        {
          method: "GET",
          path: "/v1/tasks",
          auth: { kind: "apiKey", scopes: ["tasks:read"] },
          rateLimit: ["api"],
        },
      ],
    },
    emailWorker: {
      entry: "functions/workers/email.ts",
      description: "Email queue consumer: sends through SES with retries, backoff and a circuit breaker",
      timeoutSeconds: WORKER_TIMEOUT_SECONDS,
      memoryMb: 256,
      // emailQueue:send: while the SES circuit is open the worker requeues held messages to its
      // own queue, which the event source mapping's grant does not cover.
      needs: ["emailQueue:consume", "emailQueue:send", "ses:send", "websocket:manage"],
    },
  },
  queues: {
    emails: {
      fifo: false,
      worker: "emailWorker",
      batchSize: 10,
      // No batching window: the worker is invoked as soon as a message is there, so a lone email
      // is sent in tens of milliseconds instead of waiting out the window (BENCHMARKS.md,
      // "Pipeline"). Under a backlog batches still fill up to batchSize from what is waiting.
      maxBatchingWindowSeconds: 0,
      // AWS's advice for SQS consumers: at least 6 × the function timeout.
      visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
      maxReceiveCount: 8,
      retentionDays: 4,
      dlqRetentionDays: 14,
      // The SES sandbox sends 1 email/s: two workers already reach it; raise with production access.
      maxConcurrency: 2,
    },
  },
} as const satisfies ManifestPart;
