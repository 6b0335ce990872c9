/**
 * Reading payments for the API: one by provider and id, or a page of the index. Apart from
 * repository.ts (the worker's scripted writes) so the read functions bundle no scripts.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { readIndexPage } from "#shared/redis/index-page.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { asString } from "#shared/redis/reply.ts";
import { PAYMENT_KEY_PREFIX, paymentKey } from "./keys.ts";
import { type Payment, type PaymentStatus, paymentRecordSchema, toPublicPayment } from "./payment.ts";
import type { PaymentProvider } from "./payment-event.ts";

/** The Upstash client calls these reads make (the production client satisfies it). */
type ReadRedis = Pick<RedisClient, "createScript" | "get">;

export async function getPayment(
  redis: ReadRedis,
  provider: PaymentProvider,
  paymentId: string,
): Promise<Payment | undefined> {
  const raw = await redis.get(paymentKey(provider, paymentId));
  if (raw === null || raw === undefined) return undefined;
  return toPublicPayment(paymentRecordSchema.parse(JSON.parse(asString(raw))));
}

export interface PaymentPage {
  readonly items: readonly Payment[];
  readonly nextCursor: string | null;
}

/** Payments newest first (by when Ferry first recorded them), optionally filtered. */
export async function listPayments(
  redis: ReadRedis,
  options: {
    limit: number;
    cursor?: string | undefined;
    provider?: PaymentProvider | undefined;
    status?: PaymentStatus | undefined;
  },
): Promise<PaymentPage> {
  const page = await readIndexPage(redis, {
    index: redisKeys.paymentsIndex(),
    // Index members are `provider:paymentId`, so the record key is the prefix plus the member.
    recordPrefix: PAYMENT_KEY_PREFIX,
    limit: options.limit,
    cursor: options.cursor,
    filters: {
      ...(options.provider ? { provider: options.provider } : {}),
      ...(options.status ? { status: options.status } : {}),
    },
  });
  return {
    items: page.records.map((raw) => toPublicPayment(paymentRecordSchema.parse(JSON.parse(raw)))),
    nextCursor: page.nextCursor,
  };
}
