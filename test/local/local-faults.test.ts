/**
 * `/local/faults`: switches on the local AWS edge that the email worker's SES calls and the
 * functions' SQS calls really meet (real SDK clients, the emulators behind the edge). Each kind is
 * observed through what a user sees: the task's states, the API's answer, the SES outbox.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Fault } from "#infra/local/aws/fault-switches.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { requestTicket } from "#test/realtime/support/runtime.ts";
import { openWs } from "#test/realtime/support/ws-client.ts";
import { call, eventually } from "#test/support/http.ts";
import { ONE_SECOND_EMAIL_RETRIES, testRuntimeForFile } from "#test/support/runtime.ts";

let rt: LocalRuntime;
testRuntimeForFile(
  {
    ...ONE_SECOND_EMAIL_RETRIES,
    // The breaker has its own tests; here each throttle is retried on its own.
    SES_BREAKER_THRESHOLD: "1000",
    // Long enough for the hang test to see the task held; short enough for a quick test.
    SES_REQUEST_TIMEOUT_MS: "3000",
  },
  { db: 13 },
  (started) => (rt = started),
);

afterEach(async () => {
  await fetch(`${rt.url}/local/faults`, { method: "DELETE" });
});

const faultOn = async (spec: Record<string, unknown>) => {
  const res = await call<Fault>(rt.url, "POST", "/local/faults", { json: spec });
  expect(res.status).toBe(201);
  return res.body;
};

const listFaults = async () => (await call<{ faults: Fault[] }>(rt.url, "GET", "/local/faults")).body.faults;

const subject = (label: string) => `${label} ${Math.random().toString(36).slice(2)}`;

const sendEmail = (subjectLine: string) =>
  call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
    key: rt.devApiKey,
    json: { to: "ada@example.com", subject: subjectLine, text: "fault switch test" },
  });

const task = async (id: string) =>
  (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key: rt.devApiKey })).body;

const settled = (id: string) =>
  eventually(
    async () => {
      const t = await task(id);
      return t.status === "succeeded" || t.status === "failed" ? t : undefined;
    },
    { timeoutMs: 30_000, what: `task ${id} to settle` },
  );

/** Every status the task is seen in, polled until it settles. */
async function statusesOf(id: string): Promise<string[]> {
  const seen: string[] = [];
  await eventually(
    async () => {
      const t = await task(id);
      if (seen.at(-1) !== t.status) seen.push(t.status);
      return t.status === "succeeded" || t.status === "failed" ? t : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 25, what: `task ${id} to settle` },
  );
  return seen;
}

const inOutbox = async (subjectLine: string) =>
  (await rt.outbox()).filter((e) => e.subject === subjectLine).length;

describe("SES fault switches, met by the email worker's real SendEmail calls", () => {
  it("throttle for the next 2 sends: the task goes retrying, then succeeds on its third attempt; the count is used up", async () => {
    // Prepare
    const fault = await faultOn({ service: "ses", kind: "throttle", count: 2, action: "SendEmail" });
    expect(fault).toMatchObject({ service: "ses", kind: "throttle", action: "SendEmail", remaining: 2 });
    const s = subject("throttled");

    // Act: a subscriber sees every transition (a retry with a near-zero full-jitter wait is too
    // short for polling alone to be sure of seeing, under a busy CPU).
    const ticket = await requestTicket(rt, rt.devApiKey);
    const ws = await openWs(ticket.body.url);
    const sent = await sendEmail(s);
    ws.send({ action: "subscribe", taskId: sent.body.taskId });
    const statuses = await statusesOf(sent.body.taskId);
    await ws.waitFor((m) => m.type === "task.updated" && m.task?.status === "succeeded");
    await ws.close();
    const pushed = ws.messages.flatMap((m) => (m.type === "task.updated" && m.task ? [m.task.status] : []));

    // Assess
    expect([...statuses, ...pushed]).toContain("retrying");
    expect(statuses.at(-1)).toBe("succeeded");
    expect(await task(sent.body.taskId)).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(await inOutbox(s)).toBe(1);
    expect(await listFaults()).toEqual([]);
  }, 40_000);

  it("reject: the task fails at once with SES's MessageRejected, and nothing is sent", async () => {
    await faultOn({ service: "ses", kind: "reject", count: 1 });
    const s = subject("rejected");

    const sent = await sendEmail(s);
    const final = await settled(sent.body.taskId);

    expect(final).toMatchObject({ status: "failed", attempts: 1, error: { code: "MessageRejected" } });
    expect(await inOutbox(s)).toBe(0);
  });

  it("fail (500): a transient error, retried until it succeeds", async () => {
    await faultOn({ service: "ses", kind: "fail", count: 1 });
    const s = subject("failed-once");

    const sent = await sendEmail(s);
    const final = await settled(sent.body.taskId);

    expect(final).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(await inOutbox(s)).toBe(1);
  });

  it("timeout: SES never answers within the worker's budget; the task fails delivery_unknown and is not resent", async () => {
    await faultOn({ service: "ses", kind: "timeout", count: 1 });
    const s = subject("timed-out");

    const started = Date.now();
    const sent = await sendEmail(s);
    const final = await settled(sent.body.taskId);

    expect(final).toMatchObject({ status: "failed", error: { code: "delivery_unknown" } });
    // The worker's own SES_REQUEST_TIMEOUT_MS (3 s) ended the call, not the edge.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(await inOutbox(s)).toBe(0);
  });

  it("hang until cleared: the task stays processing while SES is silent; clearing releases the switch", async () => {
    const fault = await faultOn({ service: "ses", kind: "hang" });
    const s = subject("hung");

    const sent = await sendEmail(s);
    await eventually(
      async () => ((await task(sent.body.taskId)).status === "processing" ? true : undefined),
      {
        what: "the task to be processing",
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    const during = await task(sent.body.taskId);
    const listed = await listFaults();
    const cleared = await call(rt.url, "DELETE", `/local/faults/${fault.id}`);
    const final = await settled(sent.body.taskId);

    expect(during.status).toBe("processing");
    expect(listed).toEqual([expect.objectContaining({ id: fault.id, kind: "hang", remaining: null })]);
    expect(cleared.status).toBe(204);
    expect(await listFaults()).toEqual([]);
    // SES received nothing it could act on, yet the whole request was sent: not resent.
    expect(final).toMatchObject({ status: "failed", error: { code: "delivery_unknown" } });
    expect(await inOutbox(s)).toBe(0);
  });

  it("a switch for another action is never met by SendEmail", async () => {
    const fault = await faultOn({ service: "ses", kind: "reject", count: 1, action: "GetAccount" });
    const s = subject("other-action");

    const final = await settled((await sendEmail(s)).body.taskId);

    expect(final.status).toBe("succeeded");
    expect(await listFaults()).toEqual([expect.objectContaining({ id: fault.id, remaining: 1 })]);
  });
});

describe("SQS fault switches, met only by the functions' calls", () => {
  it("throttle the next SendMessage: POST /v1/emails answers 503 (the SDK's retry meets it too), the next one 202", async () => {
    await faultOn({ service: "sqs", kind: "throttle", count: 1, action: "SendMessage" });

    const refused = await sendEmail(subject("sqs-throttled"));
    const left = await listFaults();
    const accepted = await sendEmail(subject("sqs-after"));

    expect(refused.status).toBe(503);
    expect(left).toEqual([]);
    expect(accepted.status).toBe(202);
  });

  it("loseAnswer on SendMessage: the caller gets 503, yet the queue took the email and it is sent once", async () => {
    await faultOn({ service: "sqs", kind: "loseAnswer", count: 1, action: "SendMessage" });
    const s = subject("sqs-lost-answer");

    const res = await sendEmail(s);

    expect(res.status).toBe(503);
    await eventually(async () => ((await inOutbox(s)) === 1 ? true : undefined), { what: "the email sent" });
  });

  it("the pollers' receives never meet a switch: with ReceiveMessage failing, emails still flow", async () => {
    const fault = await faultOn({ service: "sqs", kind: "fail", action: "ReceiveMessage" });

    const final = await settled((await sendEmail(subject("poller-unaffected"))).body.taskId);

    expect(final.status).toBe("succeeded");
    expect(await listFaults()).toEqual([expect.objectContaining({ id: fault.id, remaining: null })]);
  });
});

describe("the /local/faults API", () => {
  it("lists switches oldest first, deletes one by id, and clears all", async () => {
    const a = await faultOn({ service: "ses", kind: "throttle", count: 3, action: "SendEmail" });
    const b = await faultOn({ service: "sqs", kind: "hang", action: "GetQueueAttributes" });

    const both = await listFaults();
    const removed = await call(rt.url, "DELETE", `/local/faults/${a.id}`);
    const one = await listFaults();
    const clearedAll = await call(rt.url, "DELETE", "/local/faults");

    expect(both).toEqual([a, b]);
    expect(a).toEqual({
      id: expect.stringMatching(/^flt_/),
      service: "ses",
      action: "SendEmail",
      kind: "throttle",
      remaining: 3,
      createdAt: expect.any(String),
    });
    expect(b).toMatchObject({ service: "sqs", action: "GetQueueAttributes", kind: "hang", remaining: null });
    expect(removed.status).toBe(204);
    expect(one).toEqual([b]);
    expect(clearedAll.status).toBe(204);
    expect(await listFaults()).toEqual([]);
  });

  it.each([
    ["an unknown kind", { service: "ses", kind: "explode" }, "kind"],
    ["an unknown service", { service: "s3", kind: "fail" }, "service"],
    ["a zero count", { service: "ses", kind: "fail", count: 0 }, "count"],
    ["a fractional count", { service: "ses", kind: "fail", count: 1.5 }, "count"],
    ["a malformed action", { service: "ses", kind: "fail", action: "send email" }, "action"],
    ["an unknown field", { service: "ses", kind: "fail", cout: 2 }, ""],
  ])("refuses %s with 400 problem+json naming the field, and switches nothing on", async (_, body, field) => {
    const res = await call<{ status: number; errors: { path: string }[] }>(rt.url, "POST", "/local/faults", {
      json: body,
    });

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ status: 400, type: "https://ferry.dev/problems/validation-failed" });
    expect(res.body.errors.map((e) => e.path)).toContain(field);
    expect(await listFaults()).toEqual([]);
  });

  it("refuses malformed JSON (400) and a non-JSON body (415)", async () => {
    const malformed = await call(rt.url, "POST", "/local/faults", {
      body: "{",
      headers: { "content-type": "application/json" },
    });
    const form = await call(rt.url, "POST", "/local/faults", {
      body: "service=ses",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });

    expect(malformed).toMatchObject({ status: 400, body: { detail: "The request body is not valid JSON." } });
    expect(form.status).toBe(415);
    expect(form.headers.get("content-type")).toBe("application/problem+json");
    expect(await listFaults()).toEqual([]);
  });

  it("answers 404 problem+json for an unknown id, and 405 naming the methods for a wrong one", async () => {
    const kept = await faultOn({ service: "ses", kind: "fail" });

    const unknown = await call(rt.url, "DELETE", "/local/faults/flt_nope");
    const wrong = await call(rt.url, "PUT", "/local/faults");

    expect(unknown).toMatchObject({ status: 404, body: { type: "https://ferry.dev/problems/not-found" } });
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST, DELETE");
    expect(await listFaults()).toEqual([kept]);
  });
});
