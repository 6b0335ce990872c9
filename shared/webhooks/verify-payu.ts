/**
 * PayU: the verify_payment command of its merchant API (POST /merchant/postservice.php?form=2,
 * form fields key, command, var1 = txnid, hash = SHA-512 of `key|command|var1|salt`). The
 * transaction must be `success` with the same amount.
 */
import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { decimalToMinorUnits, InvalidAmountError } from "#shared/payments/minor-units.ts";
import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import { callProvider, ProviderUnavailableError } from "#shared/payments/provider-api.ts";
import { confirmed, type ProviderVerifier, refuted } from "#shared/payments/provider-verification.ts";

export interface PayuApi {
  readonly url: string;
  readonly key: string;
  readonly salt: string;
  readonly timeoutMs: number;
}

const COMMAND = "verify_payment";

const answerSchema = z.object({
  transaction_details: z.record(z.string(), z.object({ status: z.string(), amt: z.optional(z.string()) })),
});

export function payuVerifier(api: PayuApi): ProviderVerifier {
  const endpoint = `${api.url.replace(/\/$/, "")}/merchant/postservice.php?form=2`;
  return async (event: PaymentEvent) => {
    const txnid = event.paymentId;
    const hash = createHash("sha512").update(`${api.key}|${COMMAND}|${txnid}|${api.salt}`).digest("hex");
    const answer = await callProvider(
      endpoint,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ key: api.key, command: COMMAND, var1: txnid, hash }).toString(),
      },
      api.timeoutMs,
    );
    const parsed = answerSchema.safeParse(answer.body);
    if (!parsed.success) throw new ProviderUnavailableError("PayU answered with a shape Ferry cannot read");
    const transaction = parsed.data.transaction_details[txnid];
    if (!transaction) return refuted("PayU does not know this transaction");
    if (transaction.status.toLowerCase() !== "success")
      return refuted(`PayU says the transaction is ${transaction.status}`);
    let amount: number;
    try {
      amount = decimalToMinorUnits(transaction.amt ?? "");
    } catch (error) {
      if (!(error instanceof InvalidAmountError)) throw error;
      throw new ProviderUnavailableError("PayU answered without a readable amount");
    }
    return amount === event.amount ? confirmed : refuted("PayU's transaction differs in amount");
  };
}
