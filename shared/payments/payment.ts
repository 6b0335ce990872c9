/**
 * The payment record. Redis holds one JSON document per payment, written only by the Lua scripts:
 * the public fields of DESIGN.md's Payment, plus `merge` (the facts gathered from every event, from
 * which the status is derived) and `effects` (receipt / refund notice, until confirmed enqueued).
 */
import * as z from "zod/mini";
import { PAYMENT_PROVIDERS, type PaymentProvider } from "./payment-event.ts";

export const PAYMENT_STATUSES = [
  "pending",
  "authorized",
  "succeeded",
  "failed",
  "refunded",
  "partially_refunded",
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const EFFECT_KINDS = ["receipt", "refund_notice"] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];

/** Something to enqueue because of a payment's state, identified by a task id fixed per payment. */
export interface PaymentEffect {
  readonly kind: EffectKind;
  readonly taskId: string;
}

/** Lua's cjson writes an empty table as `{}`: read that back as an empty list. */
export const listOf = <T extends z.ZodMiniType>(item: T) =>
  z.union([
    z.array(item),
    z.pipe(
      z.strictObject({}),
      z.transform((): z.infer<T>[] => []),
    ),
  ]);

const eventEntrySchema = z.object({ id: z.string(), type: z.string(), at: z.string() });

const storedEffectSchema = z.object({
  taskId: z.string(),
  enqueued: z.boolean(),
  /** When the effect was last handed to a worker (ms). */
  claimedAt: z.number(),
  enqueuedAt: z.optional(z.number()),
});

export const paymentRecordSchema = z.object({
  provider: z.enum(PAYMENT_PROVIDERS),
  paymentId: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  amount: z.number(),
  currency: z.string(),
  email: z.optional(z.string()),
  /** The provider's unsigned id of the payment, as data (PayU mihpayid). */
  reference: z.optional(z.string()),
  refundedAmount: z.number(),
  /** Sorted by (at, id), so the same events give the same list whatever order they came in. */
  events: listOf(eventEntrySchema),
  receipt: z.optional(z.object({ taskId: z.string() })),
  merge: z.object({
    succeeded: z.boolean(),
    fullyRefunded: z.boolean(),
    refundFloor: z.number(),
    refunds: z.record(z.string(), z.number()),
    attempt: z.optional(z.enum(["pending", "authorized", "failed"])),
    attemptKey: z.optional(z.string()),
    amountKey: z.optional(z.string()),
    emailKey: z.optional(z.string()),
    referenceKey: z.optional(z.string()),
  }),
  effects: z.object({
    receipt: z.optional(storedEffectSchema),
    refund_notice: z.optional(storedEffectSchema),
  }),
});

export type PaymentRecord = z.infer<typeof paymentRecordSchema>;

/** DESIGN.md's Payment: what `GET /v1/payments/{provider}/{paymentId}` returns. */
export interface Payment {
  readonly provider: PaymentProvider;
  readonly paymentId: string;
  readonly status: PaymentStatus;
  /** Minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly email?: string;
  /** PayU: the mihpayid (unsigned, data only; the payment is keyed by the hashed txnid). */
  readonly reference?: string;
  readonly events: readonly { readonly id: string; readonly type: string; readonly at: string }[];
  /** The receipt email's task, once the payment is paid; `href` reads it with payments:read. */
  readonly receipt?: EmailTaskLink;
  /** The refund notice's task, once the payment is fully refunded. */
  readonly refundNotice?: EmailTaskLink;
}

export interface EmailTaskLink {
  readonly taskId: string;
  readonly href: string;
}

const emailTaskHref = (record: PaymentRecord, kind: "receipt" | "refund-notice") =>
  `/v1/payments/${record.provider}/${encodeURIComponent(record.paymentId)}/emails/${kind}`;

export function toPublicPayment(record: PaymentRecord): Payment {
  return {
    provider: record.provider,
    paymentId: record.paymentId,
    status: record.status,
    amount: record.amount,
    currency: record.currency,
    ...(record.email !== undefined ? { email: record.email } : {}),
    ...(record.reference !== undefined ? { reference: record.reference } : {}),
    events: record.events,
    ...(record.receipt
      ? { receipt: { taskId: record.receipt.taskId, href: emailTaskHref(record, "receipt") } }
      : {}),
    ...(record.effects.refund_notice
      ? {
          refundNotice: {
            taskId: record.effects.refund_notice.taskId,
            href: emailTaskHref(record, "refund-notice"),
          },
        }
      : {}),
  };
}
