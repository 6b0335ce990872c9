/**
 * Payment event factories: one payment's events as the webhook normalisers produce them, with
 * random payment and event ids so test files sharing the run's Redis never collide.
 */
import { randomBytes } from "node:crypto";
import type { PaymentEvent, PaymentProvider } from "#shared/payments/payment-event.ts";

export const randomId = (prefix: string) => `${prefix}_${randomBytes(9).toString("hex")}`;

/** Minutes after a fixed instant, in the ISO form events carry. */
export const at = (minute: number) => new Date(Date.UTC(2024, 4, 14, 10, minute, 0)).toISOString();

type Kind = "pending" | "authorized" | "succeeded" | "failed";

export interface EventInit {
  readonly provider?: PaymentProvider;
  readonly eventId?: string;
  readonly minute?: number;
  readonly amount?: number;
  readonly email?: string;
  readonly rawType?: string;
}

export function statusEvent(paymentId: string, kind: Kind, init: EventInit = {}): PaymentEvent {
  return {
    provider: init.provider ?? "stripe",
    eventId: init.eventId ?? randomId("evt"),
    paymentId,
    kind,
    amount: init.amount ?? 1000,
    currency: "USD",
    email: init.email ?? "jenny.rosen@example.com",
    occurredAt: at(init.minute ?? 0),
    rawType: init.rawType ?? `payment_intent.${kind}`,
  };
}

export interface RefundInit extends Omit<EventInit, "amount"> {
  /** The payment's amount; omitted when the provider did not send it. */
  readonly paymentAmount?: number | undefined;
  readonly refunds: readonly { id: string; amount: number }[];
  readonly totalRefunded?: number;
  readonly full?: boolean;
}

export function refundEvent(paymentId: string, init: RefundInit): PaymentEvent {
  return {
    provider: init.provider ?? "stripe",
    eventId: init.eventId ?? randomId("evt"),
    paymentId,
    kind: "refund",
    ...(init.paymentAmount !== undefined ? { amount: init.paymentAmount } : {}),
    currency: "USD",
    occurredAt: at(init.minute ?? 0),
    rawType: init.rawType ?? "charge.refunded",
    refund: {
      refunds: [...init.refunds],
      ...(init.totalRefunded !== undefined ? { totalRefunded: init.totalRefunded } : {}),
      full: init.full ?? false,
    },
  };
}

/** Every ordering of the items (n! of them). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** The same events re-addressed to another payment id (event ids stay distinct per payment). */
export function forPayment(events: readonly PaymentEvent[], paymentId: string): PaymentEvent[] {
  return events.map((e) => ({ ...e, paymentId, eventId: `${e.eventId}-${paymentId}` }));
}
