/**
 * GET /v1/tasks and GET /v1/payments end to end, and a payment's email tasks read through the
 * payment: the local runtime with the providers' secrets (the payments harness), real Redis.
 */
import { describe, expect, it } from "vitest";
import { createApiKey } from "#shared/auth/api-keys.ts";
import type { Payment } from "#shared/payments/payment.ts";
import type { Task } from "#shared/tasks/task.ts";
import { expectProblem, h, uniqueEmail, usePaymentsHarness } from "#test/payments/support/e2e-harness.ts";
import { call, eventually } from "#test/support/http.ts";
import { paymentIntent } from "#test/webhooks/support/stripe-fixtures.ts";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

usePaymentsHarness();

const newKey = async (scopes: ("emails:send" | "tasks:read" | "payments:read")[]) =>
  (await createApiKey(h.redis, { name: "listing", scopes })).secret;

const sendEmail = async (key: string, subject: string) => {
  const res = await call<{ taskId: string }>(h.rt.url, "POST", "/v1/emails", {
    key,
    json: { to: "ada@example.com", subject, text: "listing" },
  });
  expect(res.status).toBe(202);
  return res.body.taskId;
};

/** Every page of a listing, following nextCursor. */
async function allPages<T>(key: string, path: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res: { status: number; body: Page<T> } = await call<Page<T>>(
      h.rt.url,
      "GET",
      cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      { key },
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

describe("GET /v1/tasks", () => {
  it("lists only the caller's tasks, newest first, across pages with no repeats", async () => {
    const key = await newKey(["emails:send", "tasks:read"]);
    const other = await newKey(["emails:send", "tasks:read"]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await sendEmail(key, `listing ${i}`));
    await sendEmail(other, "someone else's");

    const { items, pages } = await allPages<Task>(key, "/v1/tasks?limit=2");

    expect(pages).toBeGreaterThanOrEqual(3);
    expect(items.map((t) => t.id).sort()).toEqual([...ids].sort());
    const created = items.map((t) => Date.parse(t.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(items[0]).not.toHaveProperty("ownerKeyId");
  });

  it("filters by status", async () => {
    const key = await newKey(["emails:send", "tasks:read"]);
    const ids = [await sendEmail(key, "filter a"), await sendEmail(key, "filter b")];
    await eventually(
      async () => {
        const res = await call<Page<Task>>(h.rt.url, "GET", "/v1/tasks?status=succeeded", { key });
        return res.body.items.length === 2 ? true : undefined;
      },
      { what: "both tasks to succeed" },
    );

    const succeeded = await call<Page<Task>>(h.rt.url, "GET", "/v1/tasks?status=succeeded", { key });
    const queued = await call<Page<Task>>(h.rt.url, "GET", "/v1/tasks?status=queued", { key });

    expect(succeeded.body.items.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(succeeded.body.nextCursor).toBeNull();
    expect(queued.body).toEqual({ items: [], nextCursor: null });
  });

  it("refuses unknown parameters, a bad limit and a forged cursor with 400s, and keys without tasks:read", async () => {
    const key = await newKey(["tasks:read"]);
    const sendOnly = await newKey(["emails:send"]);

    for (const query of ["stauts=failed", "limit=0", "limit=101", "status=done", "cursor=bm9wZQ"]) {
      expectProblem(await call(h.rt.url, "GET", `/v1/tasks?${query}`, { key }), 400);
    }
    expectProblem(await call(h.rt.url, "GET", "/v1/tasks", { key: sendOnly }), 403);
    expectProblem(await call(h.rt.url, "GET", "/v1/tasks"), 401);
  });
});

describe("GET /v1/payments", () => {
  it("lists payments newest first, filtered by provider and status, with their email tasks linked", async () => {
    const mine: string[] = [];
    for (const status of ["succeeded", "processing", "succeeded"]) {
      const intent = paymentIntent({ status, receiptEmail: uniqueEmail("list") });
      const type = status === "succeeded" ? "payment_intent.succeeded" : "payment_intent.processing";
      expect((await h.deliverStripe(type, intent)).response.status).toBe(200);
      await h.paymentOf("stripe", intent.id);
      mine.push(intent.id);
    }

    const { items } = await allPages<Payment>(
      h.paymentsKey,
      "/v1/payments?provider=stripe&status=succeeded&limit=2",
    );

    const ours = items.filter((p) => mine.includes(p.paymentId));
    // Newest first: the third payment, then the first; the pending one is filtered out.
    expect(ours.map((p) => p.paymentId)).toEqual([mine[2], mine[0]]);
    expect(items.every((p) => p.provider === "stripe" && p.status === "succeeded")).toBe(true);
    expect(ours[0]?.receipt?.href).toBe(`/v1/payments/stripe/${mine[2]}/emails/receipt`);
  });

  it("needs payments:read and refuses unknown filters", async () => {
    expectProblem(await call(h.rt.url, "GET", "/v1/payments", { key: h.tasksOnlyKey }), 403);
    expectProblem(await call(h.rt.url, "GET", "/v1/payments?provider=paypal", { key: h.paymentsKey }), 400);
  });
});

describe("a payment's receipt task", () => {
  it("is readable through the payment with payments:read, and by id with tasks:read and payments:read", async () => {
    const intent = paymentIntent({ receiptEmail: uniqueEmail("receipt") });
    await h.deliverStripe("payment_intent.succeeded", intent);
    const payment = await h.paymentOf("stripe", intent.id);
    const href = payment.receipt?.href ?? "";
    const taskId = payment.receipt?.taskId ?? "";

    const viaPayment = await eventually(async () => {
      const res = await call<Task>(h.rt.url, "GET", href, { key: h.paymentsKey });
      return res.status === 200 && res.body.status === "succeeded" ? res : undefined;
    });
    const both = await newKey(["tasks:read", "payments:read"]);
    const byIdBoth = await call<Task>(h.rt.url, "GET", `/v1/tasks/${taskId}`, { key: both });
    const byIdTasksOnly = await call(h.rt.url, "GET", `/v1/tasks/${taskId}`, { key: h.tasksOnlyKey });
    const noRefund = await call(h.rt.url, "GET", `/v1/payments/stripe/${intent.id}/emails/refund-notice`, {
      key: h.paymentsKey,
    });

    expect(viaPayment.body).toMatchObject({ id: taskId, type: "email" });
    expect(byIdBoth.status).toBe(200);
    expect(byIdBoth.body.id).toBe(taskId);
    expectProblem(byIdTasksOnly, 404);
    expectProblem(noRefund, 404);
    expectProblem(
      await call(h.rt.url, "GET", `/v1/payments/stripe/${intent.id}/emails/invoice`, { key: h.paymentsKey }),
      400,
    );
  });
});
