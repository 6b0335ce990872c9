/**
 * The emails a payment's effects send: a receipt once it is paid, a refund notice once it is fully
 * refunded. Content only; the worker enqueues it through the email pipeline under the effect's
 * fixed task id, owned by PAYMENT_EMAIL_OWNER: no API key owns them; a `payments:read` key reads
 * them through the payment (GET /v1/payments/{provider}/{paymentId}/emails/{kind}).
 */
import * as z from "zod/mini";
import type { EmailContent } from "#shared/email/request.ts";
import type { EffectKind, Payment } from "./payment.ts";
import type { PaymentProvider } from "./payment-event.ts";

/** The task owner of payment emails: not an API key id, so no key's GET /v1/tasks lists them. */
export const PAYMENT_EMAIL_OWNER = "system:payments";

const PROVIDER_NAMES: Readonly<Record<PaymentProvider, string>> = {
  stripe: "Stripe",
  razorpay: "Razorpay",
  payu: "PayU",
};

/** The same address rule POST /v1/emails applies: a provider may hand us anything. */
const recipient = z.email().check(z.maxLength(320));

/**
 * Minor units as a decimal string in the currency's own exponent (0 for JPY, 3 for KWD), built
 * with string arithmetic and formatted by Intl from the string, so no float ever rounds money.
 */
export function formatAmount(minorUnits: number, currency: string): string {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  const digits = String(Math.trunc(Math.abs(minorUnits))).padStart(decimals + 1, "0");
  const decimal =
    decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(digits.length - decimals)}`;
  // Intl.NumberFormat v3 takes decimal strings (Node >= 20); the cast covers older lib typings.
  return format.format(decimal as unknown as number);
}

function lines(payment: Payment, amount: string): string[] {
  return [
    `Amount: ${amount} (${payment.currency})`,
    `Payment: ${payment.paymentId} (${PROVIDER_NAMES[payment.provider]})`,
  ];
}

/**
 * The email for one effect, or undefined when the payment has no usable address (the effect is
 * then confirmed without an email: nobody to send it to).
 */
export function paymentEffectEmail(kind: EffectKind, payment: Payment): EmailContent | undefined {
  const to = recipient.safeParse(payment.email);
  if (!to.success) return undefined;
  const amount = formatAmount(payment.amount, payment.currency);
  const tags = {
    type: kind === "receipt" ? "payment-receipt" : "payment-refund",
    provider: payment.provider,
  };
  if (kind === "receipt") {
    return {
      to: [to.data],
      subject: `Receipt for your payment of ${amount}`,
      text: [
        "Thank you for your payment.",
        "",
        ...lines(payment, amount),
        "",
        "Keep this email as your receipt.",
      ].join("\n"),
      tags,
    };
  }
  return {
    to: [to.data],
    subject: `Your payment of ${amount} has been refunded`,
    text: [
      "Your payment has been refunded in full.",
      "",
      ...lines(payment, amount),
      "",
      "Depending on your bank, the money can take several working days to appear.",
    ].join("\n"),
    tags,
  };
}
