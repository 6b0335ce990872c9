/**
 * The delivery lifecycle through the local runtime: POST /v1/emails → email worker → SES emulator
 * → the mailbox simulator's events (EventBridge envelopes) → events queue → events worker → task
 * `delivery`, pushed to a real WebSocket subscriber; the suppression list refusing a second send;
 * and duplicate or reordered SES events changing nothing.
 */
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SesMail, sesEvent } from "#infra/local/aws/ses-events.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import type { Task } from "#shared/tasks/task.ts";
import { newKey, type TestKey, ticketUrl } from "#test/realtime/support/runtime.ts";
import { openWs } from "#test/realtime/support/ws-client.ts";
import { holdSesSends } from "#test/support/held-ses-sends.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

const SUCCESS = "success@simulator.amazonses.com";
const BOUNCE = "bounce@simulator.amazonses.com";
const COMPLAINT = "complaint@simulator.amazonses.com";
const OOTO = "ooto@simulator.amazonses.com";
const LISTED = "suppressionlist@simulator.amazonses.com";

let rt: LocalRuntime;
let redis: RedisClient;
let key: TestKey;
let sqs: SQSClient;

beforeAll(async () => {
  // Its own Redis database: the suppression list and the rates are deployment-wide.
  rt = await startTestRuntime({}, { db: 11 });
  redis = createRedisClient({ url: rt.upstash.url, token: rt.upstash.token, timeoutMs: 5000 });
  key = await newKey(redis, ["emails:send", "tasks:read", "realtime:connect"]);
  sqs = new SQSClient({
    endpoint: rt.sqs.endpoint,
    region: rt.sqs.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await rt?.stop();
});

type Pushed = { type: string; task?: Task };

const send = (json: Record<string, unknown>) =>
  call<{ taskId: string; skipped?: { address: string; reason: string }[] }>(rt.url, "POST", "/v1/emails", {
    key: key.secret,
    json: { subject: `lifecycle ${Math.random()}`, text: "t", ...json },
  });

const getTask = async (taskId: string) =>
  (await call<Task>(rt.url, "GET", `/v1/tasks/${taskId}`, { key: key.secret })).body;

/** Each recipient's state, in address order (the stored object's key order is Lua's). */
const states = (task: Task | undefined) =>
  Object.fromEntries(
    Object.entries(task?.delivery ?? {})
      .map(([a, r]) => [a, r.state] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** Until the events queue is empty and nothing is in flight: every event sent so far was applied. */
async function eventsDrained(): Promise<void> {
  const url = rt.sqs.queueUrls.events?.url;
  await eventually(
    async () => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      const a = out.Attributes ?? {};
      return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) === 0
        ? true
        : undefined;
    },
    { what: "the events queue to drain" },
  );
}

let firstTaskId = "";

describe("an email to success@, bounce@ and complaint@", () => {
  it("ends delivered, bounced and complained, each change pushed to the subscriber", async () => {
    // SES calls wait at the edge until the client has subscribed, so every change is a push.
    const sends = holdSesSends(rt);
    const ws = await openWs(await ticketUrl(rt, key));
    const accepted = await send({ to: [SUCCESS, BOUNCE, COMPLAINT] });
    expect(accepted.status).toBe(202);
    firstTaskId = accepted.body.taskId;
    ws.send({ action: "subscribe", taskId: firstTaskId });
    await ws.waitFor((m) => m.type === "subscribed");
    sends.letThrough();

    const final = { [BOUNCE]: "bounced", [COMPLAINT]: "complained", [SUCCESS]: "delivered" };
    const done = (await ws.waitFor((m) => {
      const t = (m as Pushed).task;
      return m.type === "task.updated" && JSON.stringify(states(t)) === JSON.stringify(final);
    })) as Pushed;
    await ws.close();
    sends.release();

    const updates = (ws.messages as Pushed[]).filter((m) => m.type === "task.updated");
    // Each recipient's final state arrived in a push of its own making (not only in a snapshot).
    for (const [address, state] of Object.entries(final)) {
      const first = updates.findIndex((m) => states(m.task)[address] === state);
      expect(first, `${address} ${state}`).toBeGreaterThan(0);
      expect(states(updates[first - 1]?.task)[address], address).not.toBe(state);
    }
    // Two functions push this task (the email worker its `succeeded`, the events worker each
    // delivery change), so pushes may cross; a client keeping the newest version ends right.
    const newest = updates.reduce((a, b) => ((b.task?.version ?? 0) > (a.task?.version ?? 0) ? b : a));
    expect(states(newest.task)).toEqual(final);
    expect(newest.task?.status).toBe("succeeded");
    expect(done.task?.status).toBe("succeeded");
    expect(done.task?.delivery?.[BOUNCE]).toMatchObject({
      state: "bounced",
      detail: { bounceType: "permanent", subType: "General", diagnostic: "smtp; 550 5.1.1 user unknown" },
    });
    expect(done.task?.delivery?.[COMPLAINT]).toMatchObject({ detail: { complaintType: "abuse" } });

    // The same record by id and in the list.
    expect(states(await getTask(firstTaskId))).toEqual(final);
    const page = await call<{ items: Task[] }>(rt.url, "GET", "/v1/tasks?limit=5", { key: key.secret });
    expect(states(page.body.items.find((t) => t.id === firstTaskId))).toEqual(final);
  }, 60_000); // Its first request starts every function's sandbox: slow on a loaded machine.

  it("refuses a second email to the bounced address, naming it, and queues nothing", async () => {
    const before = (await rt.outbox()).length;
    const refused = await send({ to: [SUCCESS, BOUNCE] });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      type: "https://ferry.dev/problems/recipient-suppressed",
      errors: [{ path: "to.1", message: expect.stringContaining(`${BOUNCE} is suppressed`) }],
    });
    expect(JSON.stringify(refused.body)).toContain(BOUNCE);
    const complained = await send({ to: COMPLAINT.toUpperCase() });
    expect(complained.status).toBe(422);
    expect((await rt.outbox()).length).toBe(before);
  });

  it("with suppressed: skip, sends to the others and reports the skipped", async () => {
    const accepted = await send({ to: [BOUNCE, SUCCESS, COMPLAINT], suppressed: "skip" });
    expect(accepted.status).toBe(202);
    expect(accepted.body.skipped?.map((s) => [s.address, s.reason])).toEqual([
      [BOUNCE, "bounce"],
      [COMPLAINT, "complaint"],
    ]);
    const task = await eventually(async () => {
      const t = await getTask(accepted.body.taskId);
      return states(t)[SUCCESS] === "delivered" ? t : undefined;
    });
    expect(Object.keys(task.delivery ?? {})).toEqual([SUCCESS]);
    const all = await send({ to: [BOUNCE], suppressed: "skip" });
    expect(all.status).toBe(422);
  });
});

describe("the other simulator addresses", () => {
  it("delivers to ooto@ and bounces suppressionlist@ as on SES's suppression list, suppressing it", async () => {
    const accepted = await send({ to: [OOTO, LISTED] });
    const task = await eventually(async () => {
      const t = await getTask(accepted.body.taskId);
      return Object.keys(t.delivery ?? {}).length === 2 &&
        states(t)[LISTED] === "bounced" &&
        states(t)[OOTO] === "delivered"
        ? t
        : undefined;
    });
    expect(task.delivery?.[LISTED]?.detail).toMatchObject({
      bounceType: "permanent",
      subType: "OnAccountSuppressionList",
    });
    expect((await send({ to: LISTED })).status).toBe(422);
  });
});

describe("duplicate and reordered SES events", () => {
  it("change nothing twice: same delivery, same version, same counts", async () => {
    await eventsDrained();
    const before = await getTask(firstTaskId);
    const health = async () =>
      (await call<{ checks: { reputation: Record<string, number> } }>(rt.url, "GET", "/health")).body.checks
        .reputation;
    const countsBefore = await health();
    const messageId = before.result?.messageId ?? "";
    expect(messageId).not.toBe("");
    const mail: SesMail = {
      messageId,
      timestamp: "2026-12-01T00:00:00.000Z",
      source: "ferry@ferry.local",
      destination: [SUCCESS, BOUNCE, COMPLAINT],
      tags: { ferry_task: [firstTaskId], "ses:configuration-set": ["ferry-local"] },
    };
    const at = (r: string) => before.delivery?.[r]?.at ?? "";
    // The same outcomes again (SES and EventBridge deliver at least once), and older news for every
    // recipient; all of it twice, newest first and then oldest first.
    const events = [
      sesEvent({
        type: "Complaint",
        mail,
        recipients: [COMPLAINT],
        feedbackType: "abuse",
        at: at(COMPLAINT),
      }),
      sesEvent({
        type: "Bounce",
        mail,
        bounceType: "Permanent",
        bounceSubType: "General",
        recipients: [{ emailAddress: BOUNCE, diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
        at: at(BOUNCE),
      }),
      sesEvent({ type: "Delivery", mail, recipients: [SUCCESS], at: at(SUCCESS) }),
      sesEvent({ type: "Delivery", mail, recipients: [BOUNCE, COMPLAINT], at: "2026-12-01T00:00:02.000Z" }),
      sesEvent({
        type: "DeliveryDelay",
        mail,
        recipients: [SUCCESS],
        delayType: "MailboxFull",
        at: "2026-12-01T00:00:01.000Z",
      }),
      sesEvent({ type: "Send", mail }),
    ].map((e) => JSON.stringify(e));
    for (const body of [...events, ...[...events].reverse()]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: rt.sqs.queueUrls.events?.url, MessageBody: body }));
    }
    await eventsDrained();
    const after = await getTask(firstTaskId);
    expect(after.delivery).toEqual(before.delivery);
    expect(after.version).toBe(before.version);
    const countsAfter = await health();
    expect([countsAfter?.sent, countsAfter?.bounceRate, countsAfter?.complaintRate]).toEqual([
      countsBefore?.sent,
      countsBefore?.bounceRate,
      countsBefore?.complaintRate,
    ]);
  });
});

describe("account health", () => {
  it("reports the window's bounce and complaint rates in /health", async () => {
    await eventsDrained();
    const health = await call<{ checks: Record<string, Record<string, number | string>> }>(
      rt.url,
      "GET",
      "/health",
    );
    const reputation = health.body.checks.reputation;
    expect(reputation).toMatchObject({ status: "ok", windowSeconds: 86_400 });
    // Recipients sent: 3, then 1 (the skip), then 2 (ooto@ and suppressionlist@).
    expect(Number(reputation?.sent)).toBe(6);
    expect(Number(reputation?.bounceRate)).toBeCloseTo(2 / 6);
    expect(Number(reputation?.complaintRate)).toBeCloseTo(1 / 6);
    expect(Number(reputation?.bounceRate)).toBeGreaterThan(0);
    expect(Number(reputation?.complaintRate)).toBeGreaterThan(0);
  });
});
