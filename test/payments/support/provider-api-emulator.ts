/**
 * The three providers' verification APIs, as far as Ferry calls them, on one node:http server
 * bound to 127.0.0.1: Stripe `GET /v1/events/{id}` (Bearer API key), Razorpay
 * `GET /v1/payments/{id}` and `GET /v1/refunds/{id}` (basic auth), PayU
 * `POST /merchant/postservice.php?form=2` with `command=verify_payment` (hash-authenticated).
 * Each answers like the provider does, unknown ids included (Stripe 404 resource_missing,
 * Razorpay 400 BAD_REQUEST_ERROR, PayU 200 with status "Not Found"); wrong credentials get 401.
 *
 * Tests register what "the provider knows", and may make the next answers 503 (an outage).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeNow, listenOnLoopback } from "#test/support/loopback-server.ts";
import { PAYU_KEY, PAYU_SALT } from "#test/webhooks/support/payu-fixtures.ts";

export interface ProviderApiCredentials {
  readonly stripeApiKey: string;
  readonly razorpayKeyId: string;
  readonly razorpayKeySecret: string;
  readonly payuKey: string;
  readonly payuSalt: string;
}

/** The credentials tests start the emulator with and give Ferry (PayU's are its webhook ones). */
export const EMULATED_CREDENTIALS: ProviderApiCredentials = {
  stripeApiKey: "sk_test_ferry_emulated",
  razorpayKeyId: "rzp_test_ferry",
  razorpayKeySecret: "rzp_key_secret_ferry",
  payuKey: PAYU_KEY,
  payuSalt: PAYU_SALT,
};

export interface PayuTransaction {
  readonly status: string;
  readonly amt: string;
  readonly mihpayid?: string;
}

export interface ProviderApiEmulator {
  readonly url: string;
  /** Stripe events by id: the event JSON the API returns. */
  readonly stripeEvents: Map<string, unknown>;
  /** Razorpay payment entities by id. */
  readonly razorpayPayments: Map<string, unknown>;
  /** Razorpay refund entities by id. */
  readonly razorpayRefunds: Map<string, unknown>;
  /** PayU transactions by txnid. */
  readonly payuTransactions: Map<string, PayuTransaction>;
  /** Every request, as `METHOD path` (PayU: `POST verify_payment <txnid>`). */
  readonly calls: string[];
  /** The next `n` requests are answered 503, as in an outage. */
  failNext(n: number): void;
  stop(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const razorpayUnknown = {
  error: {
    code: "BAD_REQUEST_ERROR",
    description: "The id provided does not exist",
    source: "business",
    step: "payment_initiation",
    reason: "input_validation_failed",
  },
};

export async function startProviderApiEmulator(creds: ProviderApiCredentials): Promise<ProviderApiEmulator> {
  const stripeEvents = new Map<string, unknown>();
  const razorpayPayments = new Map<string, unknown>();
  const razorpayRefunds = new Map<string, unknown>();
  const payuTransactions = new Map<string, PayuTransaction>();
  const calls: string[] = [];
  let failing = 0;
  const razorpayAuth = `Basic ${Buffer.from(`${creds.razorpayKeyId}:${creds.razorpayKeySecret}`).toString("base64")}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = decodeURIComponent(url.pathname);
    const body = req.method === "POST" ? await bodyOf(req) : "";
    const form = new URLSearchParams(body);
    calls.push(
      path === "/merchant/postservice.php"
        ? `POST ${form.get("command")} ${form.get("var1")}`
        : `${req.method} ${path}`,
    );
    if (failing > 0) {
      failing--;
      return json(res, 503, { error: "service unavailable" });
    }

    const stripe = /^\/v1\/events\/(.+)$/.exec(path);
    if (req.method === "GET" && stripe?.[1]) {
      if (req.headers.authorization !== `Bearer ${creds.stripeApiKey}`) {
        return json(res, 401, {
          error: { type: "invalid_request_error", message: "Invalid API Key provided" },
        });
      }
      const event = stripeEvents.get(stripe[1]);
      if (!event) {
        return json(res, 404, {
          error: {
            code: "resource_missing",
            message: `No such event: '${stripe[1]}'`,
            type: "invalid_request_error",
          },
        });
      }
      return json(res, 200, event);
    }

    const razorpay = /^\/v1\/(payments|refunds)\/(.+)$/.exec(path);
    if (req.method === "GET" && razorpay?.[2]) {
      if (req.headers.authorization !== razorpayAuth) {
        return json(res, 401, { error: { code: "BAD_REQUEST_ERROR", description: "Authentication failed" } });
      }
      const entity = (razorpay[1] === "payments" ? razorpayPayments : razorpayRefunds).get(razorpay[2]);
      return entity ? json(res, 200, entity) : json(res, 400, razorpayUnknown);
    }

    if (
      req.method === "POST" &&
      path === "/merchant/postservice.php" &&
      url.searchParams.get("form") === "2"
    ) {
      const command = form.get("command") ?? "";
      const txnid = form.get("var1") ?? "";
      const expected = createHash("sha512")
        .update(`${creds.payuKey}|${command}|${txnid}|${creds.payuSalt}`)
        .digest("hex");
      if (
        form.get("key") !== creds.payuKey ||
        form.get("hash") !== expected ||
        command !== "verify_payment"
      ) {
        // PayU answers an authentication failure with a 200 and status 0.
        return json(res, 200, { status: 0, msg: "Invalid Hash." });
      }
      const transaction = payuTransactions.get(txnid);
      return json(res, 200, {
        status: transaction ? 1 : 0,
        msg: `${transaction ? 1 : 0} out of 1 Transactions Fetched Successfully`,
        transaction_details: {
          [txnid]: transaction
            ? {
                txnid,
                mihpayid: transaction.mihpayid ?? "403993715531077182",
                status: transaction.status,
                amt: transaction.amt,
              }
            : { mihpayid: "Not Found", status: "Not Found" },
        },
      });
    }

    json(res, 404, { error: "no such route in the emulator" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { error: "emulator failure" }));
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    stripeEvents,
    razorpayPayments,
    razorpayRefunds,
    payuTransactions,
    calls,
    failNext(n: number) {
      failing = n;
    },
    stop: () => closeNow(server),
  };
}
