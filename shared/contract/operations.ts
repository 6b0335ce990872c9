/**
 * What the OpenAPI document says about each HTTP route, keyed by its manifest route key
 * (`METHOD /path`). The routes themselves, their auth and rate-limit policies come from the
 * manifest (shared/app/); the schemas are the ones the handlers validate with. The builder
 * (openapi.ts) refuses a manifest route that has no entry here, so no route can be left out.
 */
import type * as z from "zod/mini";
import { emailRequestSchema } from "#shared/email/request.ts";
import {
  paymentEmailParams,
  paymentListQuery,
  paymentListSchema,
  paymentParams,
  paymentSchema,
} from "#shared/payments/schema.ts";
import { taskIdParams, taskListQuery, taskListSchema, taskSchema } from "#shared/tasks/schema.ts";
import { meta } from "#shared/zod/meta.ts";
import { emailAcceptedSchema, healthSchema, ticketSchema, webhookReceivedSchema } from "./responses.ts";
import { payuCallbackSchema, razorpayEventSchema, stripeEventSchema } from "./webhook-bodies.ts";

export interface HeaderParamDoc {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  readonly maxLength?: number;
}

export interface OperationDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: "Emails" | "Tasks" | "Realtime" | "Payments" | "Webhooks" | "Platform";
  readonly params?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  readonly headers?: readonly HeaderParamDoc[];
  /** Request bodies by media type; the first is the one to send. */
  readonly body?: readonly { readonly contentType: string; readonly schema: z.ZodMiniType }[];
  readonly success: {
    readonly status: number;
    readonly description: string;
    readonly schema: z.ZodMiniType;
    /** Names of components.headers this response carries besides the common ones. */
    readonly headers?: readonly string[];
  };
  /** Statuses this route answers besides those its auth, inputs and rate limits imply. */
  readonly errors?: readonly number[];
}

const idempotencyKey: HeaderParamDoc = {
  name: "Idempotency-Key",
  required: false,
  maxLength: 255,
  description:
    "Same key and body within 24 h: the first response again, with `Idempotent-Replayed: true`; same key, other body: 422; still running: 409. The task id is derived from it, so a retry after a 503 never sends twice.",
};

const webhook = (
  provider: string,
  signatureHeaders: readonly HeaderParamDoc[],
  body: { contentType: string; schema: z.ZodMiniType },
): OperationDoc => ({
  operationId: `receive${provider[0]?.toUpperCase()}${provider.slice(1)}Webhook`,
  summary: `Receive a ${provider} webhook`,
  description:
    "Verified on the raw body against every configured secret (rotation), queued, acknowledged at once. Duplicates and any arrival order converge to one payment state and at most one receipt.",
  tag: "Webhooks",
  headers: signatureHeaders,
  body: [body],
  success: {
    status: 200,
    description: "Verified and queued (or a duplicate / an ignored event type)",
    schema: webhookReceivedSchema,
  },
});

export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  "GET /health": {
    operationId: "getHealth",
    summary: "Liveness and dependency checks",
    description:
      "`degraded` when Redis is unreachable, the SES circuit is open, or the bounce or complaint rate reached its limit (`reputation`); always 200.",
    tag: "Platform",
    success: { status: 200, description: "The checks", schema: healthSchema },
  },
  "POST /v1/emails": {
    operationId: "sendEmail",
    summary: "Queue an email",
    description:
      "Queues the send and answers at once with a task; follow it with GET /v1/tasks/{taskId} or over WebSocket. The `emails` policy costs one unit per recipient. The sender is configured, never chosen by the caller.",
    tag: "Emails",
    headers: [idempotencyKey],
    // meta() names a copy for components.schemas; the handler validates with the same definition.
    body: [{ contentType: "application/json", schema: meta(emailRequestSchema, { id: "EmailRequest" }) }],
    success: {
      status: 202,
      description: "Durably queued",
      schema: emailAcceptedSchema,
      headers: ["Location", "Idempotent-Replayed"],
    },
    errors: [409, 422],
  },
  "GET /v1/tasks": {
    operationId: "listTasks",
    summary: "List the caller's tasks",
    description:
      "Newest first by creation. A page may hold fewer items than `limit` and still have a `nextCursor` when a filter skips many tasks.",
    tag: "Tasks",
    query: taskListQuery,
    success: { status: 200, description: "One page", schema: taskListSchema },
  },
  "GET /v1/tasks/{taskId}": {
    operationId: "getTask",
    summary: "Get a task",
    description:
      "404 for an unknown task and for another key's. A payment's email tasks are readable by keys that also have `payments:read`.",
    tag: "Tasks",
    params: taskIdParams,
    success: { status: 200, description: "The task", schema: taskSchema },
    errors: [404],
  },
  "POST /v1/realtime/tickets": {
    operationId: "createRealtimeTicket",
    summary: "Get a WebSocket ticket",
    description:
      "Single use, valid 60 s; connect to `url` and subscribe to tasks (see the AsyncAPI document at /asyncapi.json).",
    tag: "Realtime",
    success: { status: 201, description: "A ticket", schema: ticketSchema },
  },
  "GET /v1/payments": {
    operationId: "listPayments",
    summary: "List payments",
    description: "Newest first by when Ferry first recorded the payment.",
    tag: "Payments",
    query: paymentListQuery,
    success: { status: 200, description: "One page", schema: paymentListSchema },
  },
  "GET /v1/payments/{provider}/{paymentId}": {
    operationId: "getPayment",
    summary: "Get a payment",
    tag: "Payments",
    params: paymentParams,
    success: { status: 200, description: "The payment", schema: paymentSchema },
    errors: [404],
  },
  "GET /v1/payments/{provider}/{paymentId}/emails/{kind}": {
    operationId: "getPaymentEmail",
    summary: "Get a payment's receipt or refund-notice task",
    description: "The email task the payment worker queued for this payment; 404 until there is one.",
    tag: "Payments",
    params: paymentEmailParams,
    success: { status: 200, description: "The email task", schema: taskSchema },
    errors: [404],
  },
  "POST /v1/webhooks/stripe": webhook(
    "stripe",
    [{ name: "Stripe-Signature", required: true, description: "`t=<unix seconds>,v1=<hex HMAC-SHA256>`" }],
    { contentType: "application/json", schema: stripeEventSchema },
  ),
  "POST /v1/webhooks/razorpay": webhook(
    "razorpay",
    [
      { name: "X-Razorpay-Signature", required: true, description: "hex HMAC-SHA256 of the raw body" },
      {
        name: "X-Razorpay-Event-Id",
        required: false,
        description: "The event's id, as data (identity comes from the signed body)",
      },
    ],
    { contentType: "application/json", schema: razorpayEventSchema },
  ),
  "POST /v1/webhooks/payu": webhook("payu", [], {
    contentType: "application/x-www-form-urlencoded",
    schema: payuCallbackSchema,
  }),
};
