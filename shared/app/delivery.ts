/**
 * The email delivery lifecycle: SES publishes every event of the stack's configuration set
 * (Send, Delivery, Bounce, Complaint, DeliveryDelay, Reject, RenderingFailure) to EventBridge,
 * a rule puts them on the events queue, and this worker applies them to their task per recipient,
 * keeps the suppression list and the account's rates, and pushes each change to subscribers.
 */
import type { ManifestPart } from "./types.ts";

const WORKER_TIMEOUT_SECONDS = 30;

export const delivery = {
  functions: {
    deliveryEventsWorker: {
      entry: "functions/workers/delivery-events.ts",
      description: "SES events queue consumer: per-recipient delivery state, suppression, account rates",
      timeoutSeconds: WORKER_TIMEOUT_SECONDS,
      memoryMb: 256,
      needs: ["eventsQueue:consume", "websocket:manage"],
    },
  },
  queues: {
    events: {
      fifo: false,
      worker: "deliveryEventsWorker",
      batchSize: 10,
      // No window: a bounce reaches the task (and its watchers) as soon as SES publishes it.
      maxBatchingWindowSeconds: 0,
      visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
      // Events are idempotent (apply-script.ts), so retries are safe; one that never applies is
      // malformed or its Redis is gone, and waits in the DLQ for a redrive.
      maxReceiveCount: 5,
      retentionDays: 4,
      dlqRetentionDays: 14,
      maxConcurrency: 2,
    },
  },
} as const satisfies ManifestPart;
