/** GET /v1/payments (scope payments:read): payments newest first, by provider and status. */
import { payments } from "#shared/app/payments.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { listPayments } from "#shared/payments/payment-reads.ts";
import { paymentListQuery } from "#shared/payments/schema.ts";

export const handler = httpHandler(payments.functions.listPayments, {
  query: paymentListQuery,
  handle: async ({ ferry, query }) => {
    const page = await listPayments(ferry.redis, query);
    return { status: 200, body: page, headers: { "cache-control": "no-store" } };
  },
});
