/** GET /v1/payments/{provider}/{paymentId} (scope payments:read): the payment record; 404 if unknown. */

import * as z from "zod";
import { payments } from "#shared/app/payments.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { PAYMENT_PROVIDERS } from "#shared/payments/payment-event.ts";
import { getPayment } from "#shared/payments/repository.ts";

export const handler = httpHandler(payments.functions.getPayment, {
  // An unknown provider is a 400 naming `provider`, not a 404: the URL itself is malformed.
  params: z.object({ provider: z.enum(PAYMENT_PROVIDERS), paymentId: z.string().min(1).max(255) }),
  handle: async ({ ferry, params }) => {
    const payment = await getPayment(ferry.redis, params.provider, params.paymentId);
    if (!payment) throw notFound(`No ${params.provider} payment ${params.paymentId}.`);
    return { status: 200, body: payment, headers: { "cache-control": "no-store" } };
  },
});
