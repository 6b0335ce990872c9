/**
 * `ferry` against the local runtime: send --watch to succeeded and to failed (SES rejects, through
 * the fault proxy), listing, and webhooks trigger with duplicates, a shuffled sequence and a stale
 * signature. The CLI runs in-process (its `main`), with its output captured; one test runs the
 * real `bin` as `npx ferry` would.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "#cli/main.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Payment } from "#shared/payments/payment.ts";
import { forFile } from "#test/support/for-file.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { reject, type SesFaultProxy } from "#test/support/ses-fault-proxy.ts";

let rt: LocalRuntime;
let ses: SesFaultProxy;
let env: NodeJS.ProcessEnv;

forFile(
  () => startTestRuntimeBehindSesProxy({ EMAIL_FROM: "cli@ferry.test" }),
  (started) => {
    ({ rt, ses } = started);
    env = {
      FERRY_API_URL: rt.url,
      FERRY_API_KEY: rt.devApiKey,
      STRIPE_WEBHOOK_SECRET: rt.webhookSecrets.stripe,
      RAZORPAY_WEBHOOK_SECRET: rt.webhookSecrets.razorpay,
      PAYU_MERCHANT_KEY: rt.webhookSecrets.payuMerchantKey,
      PAYU_MERCHANT_SALT: rt.webhookSecrets.payuMerchantSalt,
    };
  },
);
beforeEach(() => ses.setPlan(() => ({ kind: "forward" })));

async function ferry(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out, err };
}

const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

describe("ferry send --watch", () => {
  it("prints each state as it arrives and exits 0 when the email is sent", async () => {
    const result = await ferry(
      "send",
      "--to",
      "ada@example.com",
      "--subject",
      `cli ${randomUUID()}`,
      "--text",
      "hi",
      "--watch",
    );

    expect(result.code).toBe(0);
    expect(result.out.at(-1)).toMatch(/ succeeded attempt=1 v\d+ messageId=/);
    expect(result.out.length).toBeGreaterThanOrEqual(1);
  });

  it("shows each recipient's delivery state once SES's events have come", async () => {
    const sent = await ferry(
      "send",
      "--to",
      "success@simulator.amazonses.com",
      "--to",
      "bounce@simulator.amazonses.com",
      "--subject",
      `cli delivery ${randomUUID()}`,
      "--text",
      "hi",
      "--json",
    );
    const { taskId } = JSON.parse(sent.out.at(-1) ?? "{}") as { taskId: string };

    const line = await eventually(async () => {
      const got = await ferry("tasks", "get", taskId);
      const last = got.out.at(-1) ?? "";
      const done =
        /bounce@simulator\.amazonses\.com:bounced/.test(last) &&
        /success@simulator\.amazonses\.com:delivered/.test(last);
      return done ? last : undefined;
    });

    expect(line).toMatch(/ succeeded attempt=1 v\d+ messageId=\S+ delivery=\S+$/);
    const states = line.split(" delivery=")[1]?.split(",").sort();
    expect(states).toEqual([
      "bounce@simulator.amazonses.com:bounced",
      "success@simulator.amazonses.com:delivered",
    ]);
  });

  it("exits non-zero with the error on the last line when SES rejects it", async () => {
    const subject = `cli rejected ${randomUUID()}`;
    ses.setPlan((c) => (c.subject === subject ? reject() : { kind: "forward" }));

    const result = await ferry(
      "send",
      "--to",
      "ada@example.com",
      "--subject",
      subject,
      "--text",
      "no",
      "--watch",
      "--json",
    );

    expect(result.code).toBe(1);
    const states = result.out.map((line) => JSON.parse(line) as { status: string; error?: { code: string } });
    expect(states.at(-1)).toMatchObject({ status: "failed", error: { code: "MessageRejected" } });
  });

  it("refuses a send without a subject as a usage error", async () => {
    const result = await ferry("send", "--to", "ada@example.com", "--text", "x");

    expect(result.code).toBe(2);
    expect(result.err.join("\n")).toContain("--subject");
  });
});

describe("ferry tasks", () => {
  it("lists and gets tasks", async () => {
    const sent = await ferry(
      "send",
      "--to",
      "ada@example.com",
      "--subject",
      `list ${randomUUID()}`,
      "--text",
      "x",
      "--json",
    );
    const { taskId } = JSON.parse(sent.out[0] ?? "{}") as { taskId: string };

    const listed = await ferry("tasks", "list", "--limit", "100");
    const got = await ferry("tasks", "get", taskId, "--json");

    expect(listed.out.some((line) => line.includes(taskId))).toBe(true);
    expect(JSON.parse(got.out[0] ?? "{}")).toMatchObject({ id: taskId });
  });
});

describe("ferry webhooks trigger", () => {
  it("--duplicate 10 produces one payment and one receipt", async () => {
    const email = unique("dup");
    const paymentId = `pi_cli${randomUUID().replaceAll("-", "").slice(0, 16)}`;

    const result = await ferry(
      "webhooks",
      "trigger",
      "stripe",
      "payment_intent.succeeded",
      "--payment-id",
      paymentId,
      "--email",
      email,
      "--duplicate",
      "10",
    );

    expect(result.code).toBe(0);
    expect(result.out).toHaveLength(10);
    expect(result.out.every((line) => line.endsWith("→ 200"))).toBe(true);
    const payment = await eventually(async () => {
      const res = await call<Payment>(rt.url, "GET", `/v1/payments/stripe/${paymentId}`, {
        key: rt.devApiKey,
      });
      return res.status === 200 ? res.body : undefined;
    });
    expect(payment.status).toBe("succeeded");
    expect(payment.events).toHaveLength(1);
    const receipt = await eventually(async () => {
      const res = await call<{ status: string }>(rt.url, "GET", payment.receipt?.href ?? "", {
        key: rt.devApiKey,
      });
      return res.status === 200 && res.body.status === "succeeded" ? res.body : undefined;
    });
    expect(receipt.status).toBe("succeeded");
    // Let any stray copy run its course, then count what SES received.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await rt.outbox()).filter((e) => e.to.includes(email))).toHaveLength(1);
  });

  it("--shuffle sends a payment's whole sequence in any order, and it converges", async () => {
    const paymentId = `pay_${randomUUID().replaceAll("-", "").slice(0, 14)}`;

    const result = await ferry(
      "webhooks",
      "trigger",
      "razorpay",
      "--shuffle",
      "--payment-id",
      paymentId,
      "--email",
      unique("shuf"),
    );

    expect(result.code).toBe(0);
    expect(result.out).toHaveLength(3);
    const payment = await eventually(async () => {
      const res = await call<Payment>(rt.url, "GET", `/v1/payments/razorpay/${paymentId}`, {
        key: rt.devApiKey,
      });
      return res.status === 200 && res.body.events.length === 3 ? res.body : undefined;
    });
    expect(payment.status).toBe("refunded");
  });

  it("--stale signs with an old timestamp, which Stripe's rules refuse", async () => {
    const result = await ferry("webhooks", "trigger", "stripe", "payment_intent.succeeded", "--stale");

    expect(result.code).toBe(3);
    expect(result.out[0]).toContain("→ 401");
    expect(result.out[0]).toContain("webhook-timestamp-out-of-tolerance");
  });

  it("payu success is accepted with the configured key and salt", async () => {
    const txnid = `txn_${randomUUID().slice(0, 12)}`;

    const result = await ferry("webhooks", "trigger", "payu", "success", "--payment-id", txnid);

    expect(result.code).toBe(0);
    await eventually(async () => {
      const res = await call<Payment>(rt.url, "GET", `/v1/payments/payu/${txnid}`, { key: rt.devApiKey });
      return res.status === 200 && res.body.status === "succeeded" ? true : undefined;
    });
  });
});

describe("the ferry bin", () => {
  it("runs as npx ferry does, through package.json's bin", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["cli/bin.mjs", "--help"]);

    expect(stdout).toContain("usage: ferry");
  });
});
