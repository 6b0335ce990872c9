/**
 * `POST /local/webhooks/{stripe|razorpay|payu}`: the runtime plays the payment provider. It
 * builds the provider's deliveries from the samples (webhooks/sample-deliveries.ts), signs them
 * with its own webhook secrets, and POSTs them to its own `/v1/webhooks/{provider}`, so the
 * whole path (signature check, queue, worker, receipt email) runs as for a real delivery.
 *   scenario "succeeded"        one success event
 *   scenario "duplicate-burst"  the same success delivery, byte for byte, 5 times at once
 *   scenario "out-of-order"     the success event first, then the earlier one it follows
 *                               (Stripe processing, Razorpay authorized, PayU pending)
 * Answers 200 {paymentId, deliveries:[{event, status}]}: each delivery's HTTP status as the
 * provider would have seen it.
 */
import * as z from "zod";
import { notFound } from "#shared/http/errors.ts";
import type { WebhookSecrets } from "../runtime-types.ts";
import {
  buildDelivery,
  type Delivery,
  newPaymentId,
  PROVIDERS,
  type Provider,
  type SigningSecrets,
} from "../webhooks/sample-deliveries.ts";
import type { LocalRoute } from "./local-api.ts";

export const WEBHOOK_SCENARIOS = ["succeeded", "duplicate-burst", "out-of-order"] as const;

/** How many copies a duplicate burst sends (a provider's retries racing each other). */
export const BURST_COPIES = 5;

/** Per provider: its success event, and the event that comes before it in a real payment. */
const SEQUENCE: Readonly<Record<Provider, { success: string; earlier: string }>> = {
  stripe: { success: "payment_intent.succeeded", earlier: "payment_intent.processing" },
  razorpay: { success: "payment.captured", earlier: "payment.authorized" },
  payu: { success: "success", earlier: "pending" },
};

export const webhookScenarioSchema = z.strictObject({
  scenario: z.enum(WEBHOOK_SCENARIOS),
  paymentId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 letters, digits, _ or -")
    .optional(),
  amount: z.int().positive().max(100_000_000).optional(),
  email: z.email().max(320).optional(),
});

const first = (value: string) => value.split(",")[0]?.trim() ?? "";

export interface LocalWebhooksOptions {
  /** This runtime's own URL, known once it listens. */
  readonly baseUrl: () => string;
  readonly secrets: WebhookSecrets;
}

export function localWebhooksRoutes(options: LocalWebhooksOptions): LocalRoute[] {
  const secrets: SigningSecrets = {
    stripe: first(options.secrets.stripe),
    razorpay: first(options.secrets.razorpay),
    payuKey: first(options.secrets.payuMerchantKey),
    payuSalt: first(options.secrets.payuMerchantSalt),
  };

  const post = async (delivery: Delivery) => {
    const res = await fetch(`${options.baseUrl()}${delivery.path}`, {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    await res.arrayBuffer();
    return { event: delivery.event, status: res.status };
  };

  return [
    {
      method: "POST",
      path: /^\/local\/webhooks\/([^/]+)$/,
      handle: async ({ params, json }) => {
        const provider = PROVIDERS.find((p) => p === params[0]);
        if (!provider) {
          throw notFound(
            `No provider ${JSON.stringify((params[0] ?? "").slice(0, 64))}; there are: ${PROVIDERS.join(", ")}.`,
          );
        }
        const body = await json(webhookScenarioSchema);
        const paymentId = body.paymentId ?? newPaymentId(provider);
        const now = Math.floor(Date.now() / 1000);
        const build = (event: string, at: number) =>
          buildDelivery(provider, event, secrets, {
            paymentId,
            email: body.email,
            amount: body.amount,
            now: at,
          });
        const { success, earlier } = SEQUENCE[provider];
        let deliveries: { event: string; status: number }[];
        if (body.scenario === "duplicate-burst") {
          const delivery = build(success, now);
          deliveries = await Promise.all(Array.from({ length: BURST_COPIES }, () => post(delivery)));
        } else if (body.scenario === "out-of-order") {
          // One after the other, so they reach the queue in this order: the later one first.
          deliveries = [await post(build(success, now)), await post(build(earlier, now - 60))];
        } else {
          deliveries = [await post(build(success, now))];
        }
        return { status: 200, body: { paymentId, deliveries } };
      },
    },
  ];
}
