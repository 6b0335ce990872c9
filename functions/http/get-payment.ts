/**
 * GET /v1/payments/{provider}/{paymentId} (scope payments:read): the payment record; 404 if unknown.
 * GET /v1/payments/{provider}/{paymentId}/emails/{kind}: its receipt or refund-notice task, which
 * no API key owns (the payment worker sends them), readable by whoever may read the payment.
 */
import { payments } from "#shared/app/payments.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { parseWith } from "#shared/http/json-body.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { PAYMENT_EMAIL_OWNER } from "#shared/payments/receipt-email.ts";
import { paymentEmailParams, paymentParams } from "#shared/payments/schema.ts";
import { getTask, publicTask } from "#shared/tasks/store.ts";

const NO_STORE = { "cache-control": "no-store" };
const EMAIL_ROUTE = "/v1/payments/{provider}/{paymentId}/emails/{kind}";

export const handler = httpHandler(payments.functions.getPayment, {
  handle: async ({ event, ferry }) => {
    // Each route validates with its own schema (the one its OpenAPI operation is generated from).
    // An unknown provider or kind is a 400 naming the parameter: the URL itself is malformed.
    const params =
      ferry.route?.path === EMAIL_ROUTE
        ? parseWith(paymentEmailParams, event.pathParameters ?? {})
        : parseWith(paymentParams, event.pathParameters ?? {});
    const payment = await getPayment(ferry.redis, params.provider, params.paymentId);
    if (!payment) throw notFound(`No ${params.provider} payment ${params.paymentId}.`);
    if (!("kind" in params)) return { status: 200, body: payment, headers: NO_STORE };
    const link = params.kind === "receipt" ? payment.receipt : payment.refundNotice;
    if (!link)
      throw notFound(`The ${params.provider} payment ${params.paymentId} has no ${params.kind} email.`);
    const task = await getTask(ferry.redis, link.taskId);
    // The effect is recorded before its task is queued; a moment later the task exists.
    if (!task || task.ownerKeyId !== PAYMENT_EMAIL_OWNER) {
      throw notFound(`The ${params.kind} email of this payment is not queued yet; retry shortly.`);
    }
    return { status: 200, body: publicTask(task), headers: NO_STORE };
  },
});
