/**
 * `POST /local/webhooks/{provider}`: the runtime signs the providers' deliveries with its own dev
 * secrets and posts them to its own webhook routes. Checked through the public API and the SES
 * outbox: a duplicate burst gives one payment with one event and one receipt; an out-of-order
 * sequence ends in the same state as the success alone.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

interface Scenario {
  paymentId: string;
  deliveries: { event: string; status: number }[];
}
interface Payment {
  status: string;
  amount: number;
  events: { type: string }[];
  receipt?: { taskId: string };
}

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
});

afterAll(async () => {
  await rt?.stop();
});

const fire = (provider: string, json: unknown) =>
  call<Scenario>(rt.url, "POST", `/local/webhooks/${provider}`, { json });

const payment = (provider: string, id: string) =>
  call<Payment>(rt.url, "GET", `/v1/payments/${provider}/${id}`, { key: rt.devApiKey });

const freshEmail = () => `buyer-${randomBytes(5).toString("hex")}@example.com`;

const receiptsTo = async (email: string) => (await rt.outbox()).filter((e) => e.to.includes(email));

/** The payment once its receipt email went out (and a moment more, for any duplicate to show). */
async function settledPayment(provider: string, id: string, email: string): Promise<Payment> {
  await eventually(async () => ((await receiptsTo(email)).length > 0 ? true : undefined), {
    timeoutMs: 20_000,
    what: `the receipt to ${email}`,
  });
  await new Promise((r) => setTimeout(r, 500));
  return (await payment(provider, id)).body;
}

describe.each(["stripe", "razorpay", "payu"])("POST /local/webhooks/%s", (provider) => {
  it("duplicate-burst: five identical signed deliveries at once give one payment, one event, one receipt", async () => {
    const email = freshEmail();

    const res = await fire(provider, { scenario: "duplicate-burst", email, amount: 4200 });
    const final = await settledPayment(provider, res.body.paymentId, email);
    const listed = await call<{ items: { paymentId: string }[] }>(
      rt.url,
      "GET",
      `/v1/payments?provider=${provider}&limit=100`,
      { key: rt.devApiKey },
    );

    expect(res.status).toBe(200);
    expect(res.body.deliveries).toHaveLength(5);
    expect(res.body.deliveries.every((d) => d.status === 200)).toBe(true);
    expect(new Set(res.body.deliveries.map((d) => d.event)).size).toBe(1);
    expect(final).toMatchObject({
      status: "succeeded",
      amount: 4200,
      receipt: { taskId: expect.any(String) },
    });
    expect(final.events).toHaveLength(1);
    expect(listed.body.items.filter((p) => p.paymentId === res.body.paymentId)).toHaveLength(1);
    expect(await receiptsTo(email)).toHaveLength(1);
  }, 45_000);

  it("out-of-order: the success first, then the earlier event; the same final state and one receipt", async () => {
    const email = freshEmail();
    const alone = freshEmail();

    const shuffled = await fire(provider, { scenario: "out-of-order", email });
    const single = await fire(provider, { scenario: "succeeded", email: alone });
    const afterShuffle = await settledPayment(provider, shuffled.body.paymentId, email);
    const afterSingle = await settledPayment(provider, single.body.paymentId, alone);

    expect(shuffled.body.deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(shuffled.body.deliveries[0]?.event).toBe(single.body.deliveries[0]?.event);
    expect(single.body.deliveries).toHaveLength(1);
    expect(afterShuffle.events).toHaveLength(2);
    expect({ status: afterShuffle.status, amount: afterShuffle.amount }).toEqual({
      status: afterSingle.status,
      amount: afterSingle.amount,
    });
    expect(afterShuffle.status).toBe("succeeded");
    expect(await receiptsTo(email)).toHaveLength(1);
  }, 45_000);
});

describe("POST /local/webhooks: refusals that change nothing", () => {
  it("answers 404 problem+json for an unknown provider", async () => {
    const res = await fire("paypal", { scenario: "succeeded", paymentId: "pi_never_made" });

    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await payment("stripe", "pi_never_made")).status).toBe(404);
  });

  it.each([
    ["an unknown scenario", { scenario: "refund-storm" }, "scenario"],
    ["a malformed email", { scenario: "succeeded", email: "not-an-address" }, "email"],
    ["a negative amount", { scenario: "succeeded", amount: -5 }, "amount"],
    ["a payment id with a slash", { scenario: "succeeded", paymentId: "pi/../x" }, "paymentId"],
    ["an unknown field", { scenario: "succeeded", secret: "x" }, ""],
  ])("refuses %s with 400 problem+json naming the field, and sends nothing", async (_, body, field) => {
    const paymentId = `pi_refused_${randomBytes(4).toString("hex")}`;
    const res = await call<{ errors: { path: string }[] }>(rt.url, "POST", "/local/webhooks/stripe", {
      json: { paymentId, ...body },
    });

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors.map((e) => e.path)).toContain(field);
    expect((await payment("stripe", paymentId)).status).toBe(404);
  });
});
