/**
 * The email task queue end to end through the local runtime: HTTP gateway → create-email
 * handler → fauxqs → poller → email worker → SES (aws-ses-v2-local behind a fault proxy).
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { authenticateApiKey, createApiKey } from "#shared/auth/api-keys.ts";
import { emailRequestSchema } from "#shared/email/request.ts";
import { fingerprint } from "#shared/idempotency/fingerprint.ts";
import { claimIdempotencyKey } from "#shared/idempotency/store.ts";
import { resendAll } from "#shared/queues/dead-letters.ts";
import type { Task } from "#shared/tasks/task.ts";
import { forFile } from "#test/support/for-file.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { accessDenied, hang, reject, type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";
import { redisOf } from "#test/support/upstash.ts";

let rt: LocalRuntime;
/** Subjects whose enqueue fails (matched inside the message body). */
const failSendsFor = {
  subjects: new Set<string>(),
  has: (body: string) => [...failSendsFor.subjects].some((x) => body.includes(x)),
};
const refusedTaskIds: string[] = [];
/** Subjects whose enqueue succeeds but whose answer is lost (an ambiguous failure). */
const loseAnswersFor = {
  subjects: new Set<string>(),
  has: (body: string) => [...loseAnswersFor.subjects].some((x) => body.includes(x)),
};
const lostAnswerTaskIds: string[] = [];
let ses: SesFaultProxy;
let key: string;
let readOnlyKey: string;

forFile(
  () =>
    startTestRuntimeBehindSesProxy({
      EMAIL_RETRY_BASE_SECONDS: "1",
      EMAIL_RETRY_MAX_SECONDS: "2",
      // The breaker has its own file; keep it out of the way of these storms.
      SES_BREAKER_THRESHOLD: "1000",
      EMAIL_FROM: "sender@ferry.test",
      // Short enough for a hung call to settle quickly; long enough for the emulator under load.
      SES_REQUEST_TIMEOUT_MS: "2500",
    }),
  async (started) => {
    ({ rt, ses } = started);
    // A queue outage, as the functions' SDK sees it, injected at the local AWS edge for chosen
    // subjects: SendMessage refused, or accepted with its answer lost on the way back.
    rt.aws.sqs.use((call) => {
      if (call.action !== "SendMessage") return undefined;
      const body = String(call.input.MessageBody ?? "");
      const attributes = call.input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
      const taskId = attributes?.taskId?.StringValue ?? "";
      if (failSendsFor.has(body)) {
        refusedTaskIds.push(taskId);
        return {
          kind: "error",
          status: 503,
          code: "ServiceUnavailable",
          message: "injected: the queue is unreachable",
        };
      }
      if (loseAnswersFor.has(body)) {
        lostAnswerTaskIds.push(taskId);
        return { kind: "loseAnswer" };
      }
      return undefined;
    });
    const redis = redisOf(rt);
    key = (await createApiKey(redis, { name: "e2e", scopes: ["emails:send", "tasks:read"] })).secret;
    readOnlyKey = (await createApiKey(redis, { name: "ro", scopes: ["tasks:read"] })).secret;
  },
);

beforeEach(() => ses.setPlan(() => ({ kind: "forward" })));

const send = (json: unknown, headers: Record<string, string> = {}, k = key) =>
  call<{ taskId: string; status: string }>(rt.url, "POST", "/v1/emails", { key: k, json, headers });

const task = async (id: string) => (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key })).body;

const settled = (id: string) =>
  eventually(
    async () => {
      const t = await task(id);
      return t.status === "succeeded" || t.status === "failed" ? t : undefined;
    },
    { timeoutMs: 40_000, what: `task ${id} to settle` },
  );

const sentTo = async (subject: string) => (await rt.outbox()).filter((e) => e.subject === subject);

const uniqueSubject = (label: string) => `${label} ${Math.random().toString(36).slice(2)}`;

const sqsClient = () =>
  new SQSClient({
    region: rt.sqs.region,
    endpoint: rt.sqs.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

async function dlqDepth(): Promise<number> {
  const out = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: rt.sqs.queueUrls.emails?.dlqUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

describe("POST /v1/emails → SES", () => {
  it("queues, sends once to every recipient, and reports the SES message id", async () => {
    const subject = uniqueSubject("welcome");
    const to = ["ada@example.com", "grace@example.com", "alan@example.com"];

    const accepted = await send({ to, subject, text: "Hello", html: "<p>Hello</p>" });

    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ taskId: expect.stringMatching(/^tsk_/), status: "queued" });
    expect(accepted.headers.get("location")).toBe(`/v1/tasks/${accepted.body.taskId}`);
    const done = await settled(accepted.body.taskId);
    expect(done).toMatchObject({
      status: "succeeded",
      attempts: 1,
      result: { messageId: expect.any(String) },
    });
    const emails = await sentTo(subject);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ from: "sender@ferry.test", to, text: "Hello", html: "<p>Hello</p>" });
    expect(emails[0]?.messageId).toBe(done.result?.messageId);
  });

  it.each([
    ["no recipient", { to: [], subject: "s", text: "t" }, "to"],
    [
      "51 recipients",
      { to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`), subject: "s", text: "t" },
      "to",
    ],
    ["a bad address", { to: ["nope"], subject: "s", text: "t" }, "to.0"],
    ["an empty subject", { to: "a@example.com", subject: "", text: "t" }, "subject"],
    ["a 999-character subject", { to: "a@example.com", subject: "x".repeat(999), text: "t" }, "subject"],
    ["no text or html", { to: "a@example.com", subject: "s" }, "text"],
    ["an unknown field", { to: "a@example.com", subject: "s", text: "t", from: "me@evil.test" }, ""],
  ])("refuses %s with a 400 problem naming the field, and queues nothing", async (_label, json, path) => {
    const before = ses.calls.length;

    const res = await send(json);

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ status: 400, title: "Request validation failed" });
    expect((res.body as unknown as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
    expect(ses.calls.length).toBe(before);
  });

  it("refuses malformed JSON (400), a non-JSON content type (415), and an oversized body (413)", async () => {
    const malformed = await call(rt.url, "POST", "/v1/emails", {
      key,
      body: '{"to": "a@example.com",',
      headers: { "content-type": "application/json" },
    });
    const wrongType = await call(rt.url, "POST", "/v1/emails", {
      key,
      body: "to=a@example.com",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const huge = await send({ to: "a@example.com", subject: "s", text: "x".repeat(300 * 1024) });

    expect([malformed.status, wrongType.status, huge.status]).toEqual([400, 415, 413]);
    for (const r of [malformed, wrongType, huge])
      expect(r.headers.get("content-type")).toBe("application/problem+json");
  });

  it("needs a key with emails:send (401 without, 403 with the wrong scope)", async () => {
    const body = { to: "a@example.com", subject: "s", text: "t" };
    const none = await call(rt.url, "POST", "/v1/emails", { json: body });
    const unknown = await send(body, {}, "fry_not_a_key");
    const wrongScope = await send(body, {}, readOnlyKey);
    expect([none.status, unknown.status, wrongScope.status]).toEqual([401, 401, 403]);
    expect(wrongScope.body).toMatchObject({ detail: expect.stringContaining("emails:send") });
  });
});

describe("when the email queue is down", () => {
  it("answers 503 problem+json, leaves no task behind, and a retry with the same Idempotency-Key goes through", async () => {
    const subject = uniqueSubject("outage");
    const json = { to: "a@example.com", subject, text: "t" };
    failSendsFor.subjects.add(subject);

    const refused = await send(json, { "idempotency-key": `k-${subject}` });
    failSendsFor.subjects.delete(subject);
    const orphan = await call(rt.url, "GET", `/v1/tasks/${refusedTaskIds.at(-1)}`, { key });
    const retried = await send(json, { "idempotency-key": `k-${subject}` });

    expect(refusedTaskIds.at(-1)).toMatch(/^tsk_/);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(JSON.stringify(refused.body)).not.toContain("injected");
    expect(orphan.status).toBe(404);
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect((await settled(retried.body.taskId)).status).toBe("succeeded");
    expect(await sentTo(subject)).toHaveLength(1);
  });
});

describe("when the queue's answer is lost after it took the message", () => {
  it("answers 503, and the retry with the same Idempotency-Key maps to the same task: one email", async () => {
    const subject = uniqueSubject("lost-answer");
    const json = { to: "a@example.com", subject, text: "t" };
    loseAnswersFor.subjects.add(subject);

    const first = await send(json, { "idempotency-key": `k-${subject}` });
    loseAnswersFor.subjects.delete(subject);
    const retried = await send(json, { "idempotency-key": `k-${subject}` });

    expect(first.status).toBe(503);
    expect(retried.status).toBe(202);
    expect(retried.body.taskId).toBe(lostAnswerTaskIds.at(-1));
    expect((await settled(retried.body.taskId)).status).toBe("succeeded");
    // The other copy of the message may still be in flight; the send lease refuses it SES.
    expect(ses.calls.filter((c) => c.subject === subject)).toHaveLength(1);
    expect(await sentTo(subject)).toHaveLength(1);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response for the same key and body, and sends once", async () => {
    const subject = uniqueSubject("idem");
    const body = { to: "a@example.com", subject, text: "once" };

    const first = await send(body, { "idempotency-key": `k-${subject}` });
    const second = await send(
      { text: "once", subject, to: "a@example.com" },
      { "idempotency-key": `k-${subject}` },
    );

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    await settled(first.body.taskId);
    expect(await sentTo(subject)).toHaveLength(1);
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const json = { to: "a@example.com", subject: uniqueSubject("in-flight"), text: "t" };
    const idempotencyKey = `k-${json.subject}`;
    const redis = redisOf(rt);
    const principal = await authenticateApiKey(redis, key);
    // The first request's claim, as a concurrent request holding it right now would have left it.
    const claim = await claimIdempotencyKey(
      redis,
      principal?.keyId ?? "",
      idempotencyKey,
      fingerprint(emailRequestSchema.parse(json)),
    );

    const second = await send(json, { "idempotency-key": idempotencyKey });

    expect(claim.kind).toBe("claimed");
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ type: expect.stringContaining("idempotency-key-in-flight") });
    expect(ses.calls.filter((c) => c.subject === json.subject)).toHaveLength(0);
  });

  it("refuses the same key with a different body (422) and an over-long key (400)", async () => {
    const k = `k-${Math.random()}`;
    await send({ to: "a@example.com", subject: "one", text: "t" }, { "idempotency-key": k });

    const other = await send({ to: "a@example.com", subject: "two", text: "t" }, { "idempotency-key": k });
    const tooLong = await send(
      { to: "a@example.com", subject: "x", text: "t" },
      { "idempotency-key": "k".repeat(256) },
    );

    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ type: expect.stringContaining("idempotency-key-reused") });
    expect(tooLong.status).toBe(400);
  });
});

describe("GET /v1/tasks/{taskId}", () => {
  it("is 404 for an unknown task and for another key's task", async () => {
    const accepted = await send({ to: "a@example.com", subject: uniqueSubject("mine"), text: "t" });
    const redis = redisOf(rt);
    const other = (await createApiKey(redis, { name: "other", scopes: ["tasks:read"] })).secret;

    const theirs = await call(rt.url, "GET", `/v1/tasks/${accepted.body.taskId}`, { key: other });
    const unknown = await call(rt.url, "GET", "/v1/tasks/tsk_nope", { key });

    expect(theirs.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(theirs.body).toEqual(unknown.body.detail ? { ...theirs.body } : theirs.body);
    expect(theirs.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("SES faults", () => {
  it("retries a throttling storm with bounded backoff; nothing lost, nothing sent twice", async () => {
    const subjects = [1, 2, 3, 4].map((i) => uniqueSubject(`storm-${i}`));
    let throttled = 0;
    ses.setPlan((c) => (subjects.includes(c.subject) && throttled++ < 8 ? throttle() : { kind: "forward" }));

    const tasks = await Promise.all(
      subjects.map((subject) => send({ to: "a@example.com", subject, text: "t" })),
    );
    const final = await Promise.all(tasks.map((t) => settled(t.body.taskId)));

    expect(final.map((t) => t.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(final.reduce((n, t) => n + t.attempts, 0)).toBe(4 + 8);
    for (const subject of subjects) expect(await sentTo(subject)).toHaveLength(1);
  });

  it("shows `retrying` with the error and the next attempt's time while backing off", async () => {
    const subject = uniqueSubject("retrying");
    // SES throttles until the test has seen `retrying`: a full-jitter delay can be a few ms, so a
    // fixed number of throttles could all fall between two polls (seen under CI load).
    let seen = false;
    ses.setPlan((c) => (c.subject === subject && !seen ? throttle("Rate exceeded") : { kind: "forward" }));

    const accepted = await send({ to: "a@example.com", subject, text: "t" });
    const retrying = await eventually(
      async () => {
        const t = await task(accepted.body.taskId);
        seen ||= t.status === "retrying";
        return t.status === "retrying" ? t : undefined;
      },
      { intervalMs: 20, what: "a retrying state" },
    );

    expect(retrying.error).toEqual({ code: "TooManyRequestsException", message: "Rate exceeded" });
    const delay = Date.parse(retrying.nextAttemptAt ?? "") - Date.parse(retrying.updatedAt);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(2000);
    expect((await settled(accepted.body.taskId)).status).toBe("succeeded");
  });

  it("fails a permanently rejected email at once: one attempt, no DLQ churn", async () => {
    const subject = uniqueSubject("rejected");
    ses.setPlan((c) => (c.subject === subject ? reject() : { kind: "forward" }));

    const accepted = await send({ to: "a@example.com", subject, text: "t" });
    const done = await settled(accepted.body.taskId);

    expect(done).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "MessageRejected", message: "Email address is not verified." },
    });
    expect(ses.calls.filter((c) => c.subject === subject)).toHaveLength(1);
    expect(await dlqDepth()).toBe(0);
  });

  it("settles a call SES received and never answered as delivery_unknown within its budget, sending nothing twice", async () => {
    const subject = uniqueSubject("hung");
    ses.setPlan((c) => (c.subject === subject ? hang() : { kind: "forward" }));

    const started = Date.now();
    const accepted = await send({ to: "a@example.com", subject, text: "t" });
    const done = await settled(accepted.body.taskId);

    // Before the SDK's timeouts fired, the worker waited out its 30 s timeout and the batch came back.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { code: "delivery_unknown" } });
    expect(ses.calls.filter((c) => c.subject === subject)).toHaveLength(1);
    expect(await dlqDepth()).toBe(0);
  });

  it("fails an AccessDenied at once with ses_access_denied, and shows callers no account id or role", async () => {
    const subject = uniqueSubject("denied");
    ses.setPlan((c) => (c.subject === subject ? accessDenied() : { kind: "forward" }));

    const accepted = await send({ to: "a@example.com", subject, text: "t" });
    const done = await settled(accepted.body.taskId);

    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { code: "ses_access_denied" } });
    expect(JSON.stringify(done)).not.toMatch(/123456789012|assumed-role|arn:aws/);
    expect(ses.calls.filter((c) => c.subject === subject)).toHaveLength(1);
  });

  it("marks the task failed on the last allowed attempt, then the message moves to the DLQ", async () => {
    const subject = uniqueSubject("exhausted");
    ses.setPlan((c) => (c.subject === subject ? throttle() : { kind: "forward" }));

    const accepted = await send({ to: "a@example.com", subject, text: "t" });
    const done = await settled(accepted.body.taskId);

    expect(done).toMatchObject({ status: "failed", attempts: 8, error: { code: "retries_exhausted" } });
    expect(ses.calls.filter((c) => c.subject === subject)).toHaveLength(8);
    await eventually(async () => ((await dlqDepth()) === 1 ? true : undefined), {
      what: "the DLQ to hold it",
    });
    expect(await sentTo(subject)).toHaveLength(0);

    // An operator redrives the DLQ once SES recovers: the task runs again and is sent once.
    ses.setPlan(() => ({ kind: "forward" }));
    const queue = rt.sqs.queueUrls.emails;
    if (!queue) throw new Error("no emails queue");
    const moved = await resendAll(sqsClient(), {
      name: "emails",
      url: queue.url,
      dlqUrl: queue.dlqUrl,
      fifo: false,
    });
    expect(moved).toBe(1);
    const redriven = await eventually(
      async () => {
        const t = await task(accepted.body.taskId);
        return t.status === "succeeded" ? t : undefined;
      },
      { timeoutMs: 20_000, what: "the redriven task to succeed" },
    );
    expect(redriven.attempts).toBe(9);
    expect(await sentTo(subject)).toHaveLength(1);
    expect(await dlqDepth()).toBe(0);
  }, 60_000);
});
