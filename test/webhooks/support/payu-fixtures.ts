/**
 * PayU callbacks as PayU posts them: an application/x-www-form-urlencoded body with the
 * transaction's fields and a `hash` made by payu-websdk's response hasher (the oracle). The SDK
 * reads the charges from `additionalCharges` while PayU posts `additional_charges`, so the oracle
 * gets the value under its own name.
 */
import { randomBytes, randomInt } from "node:crypto";
import { createRequire } from "node:module";

export const PAYU_KEY = "fErRyK";
export const PAYU_SALT = "salt_current_4R38IvwiV57FwVps";
export const PAYU_OLD_SALT = "salt_retiring_gOvTXBdLE4tHUXFW";

interface PayuHasher {
  generateResponseHash(params: Record<string, string>): string;
  validateResponseHash(params: Record<string, string>): boolean;
}
interface PayuClient {
  readonly hasher: PayuHasher;
}
type PayuConstructor = new (credentials: { key: string; salt: string }, env: "TEST" | "PROD") => PayuClient;

// payu-websdk is CommonJS without types.
const PayU = createRequire(import.meta.url)("payu-websdk") as PayuConstructor;

export const mihpayid = () =>
  String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000_000, 999_999_999));

/** A transaction id as merchants make them: unique per payment attempt. */
export const payuTxnid = () => `txn_${randomBytes(8).toString("hex")}`;

export interface PayuCallbackInit {
  readonly mihpayid?: string;
  /** The merchant's transaction id: hashed, and the payment's id in Ferry. */
  readonly txnid?: string;
  readonly status?: string;
  readonly amount?: string;
  readonly email?: string;
  readonly addedon?: string;
  readonly additionalCharges?: string;
  readonly key?: string;
}

/** The posted fields, without the hash. */
export function payuCallbackFields(init: PayuCallbackInit = {}): Record<string, string> {
  const status = init.status ?? "success";
  return {
    mihpayid: init.mihpayid ?? mihpayid(),
    mode: "CC",
    status,
    unmappedstatus: status === "success" ? "captured" : status === "failure" ? "failed" : "pending",
    key: init.key ?? PAYU_KEY,
    txnid: init.txnid ?? payuTxnid(),
    amount: init.amount ?? "10.00",
    cardCategory: "domestic",
    discount: "0.00",
    net_amount_debit: init.amount ?? "10.00",
    addedon: init.addedon ?? "2024-05-14 12:48:36",
    productinfo: "Ferry order 42",
    firstname: "Ashish",
    lastname: "",
    address1: "",
    city: "",
    state: "",
    country: "",
    zipcode: "",
    email: init.email ?? "ashish@example.com",
    phone: "9988776655",
    udf1: "order-42",
    udf2: "",
    udf3: "",
    udf4: "",
    udf5: "",
    field9: status === "success" ? "Transaction Completed Successfully" : "Transaction Failed",
    payment_source: "payu",
    PG_TYPE: "CC-PG",
    bank_ref_num: String(randomInt(100_000_000, 999_999_999)),
    bankcode: "CC",
    error: status === "success" ? "E000" : "E308",
    error_Message: status === "success" ? "No Error" : "Transaction failed",
    ...(init.additionalCharges !== undefined ? { additional_charges: init.additionalCharges } : {}),
  };
}

/** The hash the oracle computes for these fields (charges passed under the SDK's name). */
export function payuOracleHash(fields: Record<string, string>, salt: string): string {
  const payu = new PayU({ key: fields.key ?? PAYU_KEY, salt }, "TEST");
  const { additional_charges: charges, ...rest } = fields;
  return payu.hasher.generateResponseHash(
    charges === undefined ? rest : { ...rest, additionalCharges: charges },
  );
}

/** The form body bytes as posted: `hash` last, as PayU sends it. */
export function payuFormBody(fields: Record<string, string>, hash: string): Buffer {
  return Buffer.from(new URLSearchParams({ ...fields, hash }).toString(), "utf8");
}

/** A callback signed by the oracle with the given salt. */
export function signedPayuCallback(init: PayuCallbackInit = {}, salt = PAYU_SALT) {
  const fields = payuCallbackFields(init);
  const hash = payuOracleHash(fields, salt);
  return { fields, hash, body: payuFormBody(fields, hash) };
}
