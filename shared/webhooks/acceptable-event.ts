/**
 * The last check before a webhook is acknowledged: the normalised event must pass the very schema
 * the payment worker parses queue messages with. An event the worker would refuse (an id over
 * 255 characters, an email over 320...) is refused here with a 400 the provider sees, instead of
 * being acknowledged, queued, and left to die in the payments DLQ.
 */
import "#shared/zod/messages.ts";
import { type NormalizedWebhook, paymentEventSchema } from "#shared/payments/payment-event.ts";
import { MalformedWebhookBodyError } from "./errors.ts";

const PROVIDER_NAMES = { stripe: "Stripe", razorpay: "Razorpay", payu: "PayU" } as const;

export function acceptableEvent(webhook: NormalizedWebhook): NormalizedWebhook {
  if (webhook.kind === "ignored") return webhook;
  const result = paymentEventSchema.safeParse(webhook.event);
  if (result.success) return { kind: "payment", event: result.data };
  // Zod's messages state the rule broken (length, pattern), never the value.
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new MalformedWebhookBodyError(
    `The ${PROVIDER_NAMES[webhook.event.provider]} event cannot be applied: ${problems.join("; ")}.`,
  );
}
