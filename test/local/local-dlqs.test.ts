/**
 * `/local/dlqs`: an email SES throttles on every delivery really ends in the emails DLQ (the
 * queue's redrive policy in the SQS emulator); the API lists it, peeks at it without consuming
 * it, and redrives it, after which the worker sends it.
 */
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { call, eventually } from "#test/support/http.ts";
import { ONE_SECOND_EMAIL_RETRIES, testRuntimeForFile } from "#test/support/runtime.ts";

interface DlqList {
  queues: { name: string; queue: string; url: string; depth: number }[];
}
interface Peek {
  messages: { messageId: string; body: string; receiveCount: number; sentAt: string }[];
}

let rt: LocalRuntime;
testRuntimeForFile(
  { ...ONE_SECOND_EMAIL_RETRIES, SES_BREAKER_THRESHOLD: "1000" },
  { db: 15 },
  (started) => (rt = started),
);

const dlqs = async () => (await call<DlqList>(rt.url, "GET", "/local/dlqs")).body.queues;
const depthOf = async (name: string) => (await dlqs()).find((q) => q.name === name)?.depth;
const task = async (id: string) =>
  (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key: rt.devApiKey })).body;

describe("the /local/dlqs API", () => {
  it("lists every queue's DLQ with its name, URL and depth", async () => {
    const queues = await dlqs();

    expect(queues.map((q) => q.name).sort()).toEqual(["emails", "events", "payments"]);
    for (const q of queues) {
      expect(q.url).toMatch(new RegExp(`/${q.queue.replaceAll(".", "\\.")}$`));
      expect(q.depth).toBe(0);
    }
  });

  it("an email throttled on every delivery lands in the DLQ; a peek leaves it there; redrive sends it", async () => {
    // Prepare: SES throttles until cleared, so every allowed delivery fails and the queue gives up.
    await call(rt.url, "POST", "/local/faults", { json: { service: "ses", kind: "throttle" } });
    const subject = `dlq ${Math.random().toString(36).slice(2)}`;
    const sent = await call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
      key: rt.devApiKey,
      json: { to: "ada@example.com", subject, text: "to the DLQ and back" },
    });
    await eventually(async () => ((await depthOf("emails")) === 1 ? true : undefined), {
      timeoutMs: 45_000,
      what: "the email in its DLQ",
    });
    const exhausted = await task(sent.body.taskId);

    // Act: peek twice, then redrive with SES healthy again.
    const first = await call<Peek>(rt.url, "GET", "/local/dlqs/emails/messages?limit=5");
    const second = await call<Peek>(rt.url, "GET", "/local/dlqs/emails/messages");
    const depthAfterPeeks = await depthOf("emails");
    await call(rt.url, "DELETE", "/local/faults");
    const redriven = await call<{ moved: number }>(rt.url, "POST", "/local/dlqs/emails/redrive");

    // Assess
    expect(exhausted).toMatchObject({ status: "failed", error: { code: "retries_exhausted" } });
    expect(first.status).toBe(200);
    expect(first.body.messages).toHaveLength(1);
    expect(first.body.messages[0]?.body).toContain(sent.body.taskId);
    expect(second.body.messages.map((m) => m.messageId)).toEqual(first.body.messages.map((m) => m.messageId));
    expect(depthAfterPeeks).toBe(1);
    expect(redriven).toMatchObject({ status: 200, body: { moved: 1 } });
    expect(await depthOf("emails")).toBe(0);
    await eventually(async () => ((await task(sent.body.taskId)).status === "succeeded" ? true : undefined), {
      what: "the redriven email sent",
    });
    expect((await rt.outbox()).filter((e) => e.subject === subject)).toHaveLength(1);
  }, 60_000);

  it("redriving an empty DLQ moves nothing", async () => {
    const res = await call(rt.url, "POST", "/local/dlqs/payments/redrive");

    expect(res).toMatchObject({ status: 200, body: { moved: 0 } });
  });

  it.each([
    ["GET", "/local/dlqs/nope/messages"],
    ["POST", "/local/dlqs/nope/redrive"],
  ])("%s %s: 404 problem+json naming the known queues", async (method, path) => {
    const res = await call<{ detail: string }>(rt.url, method, path);

    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.detail).toContain("emails, payments");
  });

  it.each(["0", "11", "abc"])("refuses ?limit=%s with 400 problem+json", async (limit) => {
    const res = await call<{ errors: { path: string }[] }>(
      rt.url,
      "GET",
      `/local/dlqs/emails/messages?limit=${limit}`,
    );

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors.map((e) => e.path)).toEqual(["limit"]);
  });
});
