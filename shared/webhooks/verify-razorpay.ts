/**
 * Razorpay: a success is confirmed by GET /v1/payments/{id} (captured, or since refunded, with the
 * same amount and currency); a refund by GET /v1/refunds/{id} (of this payment, same amount, not
 * failed). HTTP basic auth with the API key id and secret.
 */
import * as z from "zod/mini";
import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import {
  callProvider,
  type ProviderAnswer,
  ProviderUnavailableError,
} from "#shared/payments/provider-api.ts";
import {
  confirmed,
  type ProviderVerifier,
  refuted,
  type VerificationOutcome,
} from "#shared/payments/provider-verification.ts";

export interface RazorpayApi {
  readonly url: string;
  readonly keyId: string;
  readonly keySecret: string;
  readonly timeoutMs: number;
}

/** Razorpay answers 400 BAD_REQUEST_ERROR ("The id provided does not exist") for an unknown id. */
const unknownIdSchema = z.object({ error: z.object({ code: z.literal("BAD_REQUEST_ERROR") }) });
const isUnknown = (answer: ProviderAnswer) =>
  answer.status === 404 || (answer.status === 400 && unknownIdSchema.safeParse(answer.body).success);

const paymentSchema = z.object({ status: z.string(), amount: z.number(), currency: z.string() });
const refundSchema = z.object({ payment_id: z.string(), amount: z.number(), status: z.nullish(z.string()) });

/** A payment that was captured stays paid when it is later refunded. */
const PAID = new Set(["captured", "refunded"]);

function read<S extends z.ZodMiniType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ProviderUnavailableError("Razorpay answered with a shape Ferry cannot read");
  return parsed.data;
}

export function razorpayVerifier(api: RazorpayApi): ProviderVerifier {
  const base = api.url.replace(/\/$/, "");
  const headers = {
    authorization: `Basic ${Buffer.from(`${api.keyId}:${api.keySecret}`).toString("base64")}`,
  };
  const get = async (path: string) => {
    const answer = await callProvider(`${base}${path}`, { headers }, api.timeoutMs, [400, 404]);
    // Any other 400 is a request Razorpay could not read: no answer about the payment.
    if (answer.status === 400 && !isUnknown(answer))
      throw new ProviderUnavailableError("Razorpay answered 400");
    return answer;
  };

  return async (event: PaymentEvent): Promise<VerificationOutcome> => {
    if (event.kind === "refund") {
      for (const reported of event.refund.refunds) {
        const answer = await get(`/v1/refunds/${encodeURIComponent(reported.id)}`);
        if (isUnknown(answer)) return refuted(`Razorpay does not know refund ${reported.id}`);
        const refund = read(refundSchema, answer.body);
        if (
          refund.payment_id !== event.paymentId ||
          refund.amount !== reported.amount ||
          refund.status === "failed"
        )
          return refuted(`Razorpay's refund ${reported.id} differs`);
      }
      return confirmed;
    }
    const answer = await get(`/v1/payments/${encodeURIComponent(event.paymentId)}`);
    if (isUnknown(answer)) return refuted("Razorpay does not know this payment");
    const payment = read(paymentSchema, answer.body);
    if (!PAID.has(payment.status)) return refuted(`Razorpay says the payment is ${payment.status}`);
    if (payment.amount !== event.amount || payment.currency.toUpperCase() !== event.currency)
      return refuted("Razorpay's payment differs in amount or currency");
    return confirmed;
  };
}
