/**
 * The delivery apply script against a real redis-server: duplicates and every arrival order of
 * the same SES events end in the same task, with one version bump per real change, each
 * recipient counted once, and hard bounces and complaints on the suppression list.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SesMail, sesEvent } from "#infra/local/aws/ses-events.ts";
import { applyDeliveryUpdate } from "#shared/delivery/apply.ts";
import { readReputation } from "#shared/delivery/reputation.ts";
import { parseSesEvent } from "#shared/delivery/ses-event.ts";
import { suppressedAmong } from "#shared/delivery/suppression.ts";
import { getTask, newQueuedTask, publicTask, saveQueuedTask } from "#shared/tasks/store.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

const WINDOW = 3600;

/** A fresh email to three unique recipients, and its SES events in their natural order. */
async function scenario() {
  const run = randomUUID().slice(0, 8);
  const [ok, bounced, complained] = ["ok", "gone", "angry"].map((n) => `${n}-${run}@example.org`) as [
    string,
    string,
    string,
  ];
  const task = newQueuedTask(`tsk_${run}`, "key_a", new Date("2026-12-01T10:00:00Z"));
  await saveQueuedTask(t.redis, task);
  const mail: SesMail = {
    messageId: `ses-${run}`,
    timestamp: "2026-12-01T10:00:01.000Z",
    source: "ferry@ferry.local",
    destination: [ok, bounced, complained],
    tags: { ferry_task: [task.id], "ses:configuration-set": ["ferry-local"] },
  };
  const events = [
    sesEvent({ type: "Send", mail }),
    sesEvent({
      type: "DeliveryDelay",
      mail,
      recipients: [ok],
      delayType: "TransientCommunicationFailure",
      at: "2026-12-01T10:00:02.000Z",
    }),
    sesEvent({ type: "Delivery", mail, recipients: [ok], at: "2026-12-01T10:00:03.000Z" }),
    sesEvent({
      type: "Bounce",
      mail,
      bounceType: "Permanent",
      bounceSubType: "General",
      recipients: [
        { emailAddress: bounced, diagnosticCode: "smtp; 550 5.1.1 user unknown", status: "5.1.1" },
      ],
      at: "2026-12-01T10:00:03.500Z",
    }),
    sesEvent({ type: "Delivery", mail, recipients: [complained], at: "2026-12-01T10:00:03.000Z" }),
    sesEvent({
      type: "Complaint",
      mail,
      recipients: [complained],
      feedbackType: "abuse",
      at: "2026-12-01T10:05:00.000Z",
    }),
  ].map((e) => JSON.stringify(e));
  return { task, events, ok, bounced, complained };
}

async function apply(body: string, now = new Date()) {
  const parsed = parseSesEvent(body);
  if (parsed.kind !== "update") throw new Error(`not an update: ${JSON.stringify(parsed)}`);
  return applyDeliveryUpdate(t.redis, parsed.update, { now, windowSeconds: WINDOW });
}

/** SES's record of an email to one address that carries no Ferry task tag, sent just now. */
function untaskedMailTo(address: string): SesMail {
  return {
    messageId: `ses-${randomUUID()}`,
    timestamp: new Date().toISOString(),
    source: "f@x.org",
    destination: [address],
    tags: {},
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("applying SES events to a task", () => {
  it("gives each recipient its final state and pushes one version per change", async () => {
    const { task, events, ok, bounced, complained } = await scenario();
    const outcomes = [];
    for (const e of events) outcomes.push(await apply(e));
    const stored = await getTask(t.redis, task.id);
    expect(stored?.delivery).toEqual({
      [ok]: { state: "delivered", at: "2026-12-01T10:00:03.000Z" },
      [bounced]: {
        state: "bounced",
        at: "2026-12-01T10:00:03.500Z",
        detail: { bounceType: "permanent", subType: "General", diagnostic: "smtp; 550 5.1.1 user unknown" },
      },
      [complained]: {
        state: "complained",
        at: "2026-12-01T10:05:00.000Z",
        detail: { complaintType: "abuse" },
      },
    });
    expect(outcomes.every((o) => o.changed)).toBe(true);
    expect(stored?.version).toBe(task.version + events.length);
    expect(stored?.status).toBe("queued");
  });

  it("changes nothing for a duplicate: no version, no count, no second suppression", async () => {
    const { task, events } = await scenario();
    for (const e of events) await apply(e);
    const before = await getTask(t.redis, task.id);
    for (const e of events) {
      const again = await apply(e);
      expect(again).toMatchObject({
        changed: false,
        counted: { sent: 0, bounced: 0, complained: 0 },
        suppressed: [],
      });
    }
    expect(await getTask(t.redis, task.id)).toEqual(before);
  });

  it("ends in the same records whatever the order, and never moves a recipient backwards", async () => {
    const reference = await scenario();
    for (const e of reference.events) await apply(e);
    const expected = (await getTask(t.redis, reference.task.id))?.delivery;
    const rename = (s: string) => s.replace(/[0-9a-f]{8}/, "");
    const normalized = (delivery: Record<string, unknown> | undefined) =>
      Object.fromEntries(Object.entries(delivery ?? {}).map(([k, v]) => [rename(k), v]));
    for (let seed = 1; seed <= 12; seed++) {
      const s = await scenario();
      // Every event twice, shuffled: SES and EventBridge deliver at least once, in no fixed order.
      for (const e of shuffled([...s.events, ...s.events], seed)) await apply(e);
      const got = await getTask(t.redis, s.task.id);
      expect(normalized(got?.delivery as Record<string, unknown>)).toEqual(
        normalized(expected as Record<string, unknown>),
      );
    }
  });

  it("suppresses the hard bounce and the complaint, not the delivered address", async () => {
    const { events, ok, bounced, complained } = await scenario();
    for (const e of events) await apply(e);
    const entries = await suppressedAmong(t.redis, [ok, bounced.toUpperCase(), complained]);
    expect(entries.map((e) => [e.address, e.reason, e.source])).toEqual([
      [bounced, "bounce", "ses-bounce"],
      [complained, "complaint", "ses-complaint"],
    ]);
    expect(entries[0]).toMatchObject({
      detail: "smtp; 550 5.1.1 user unknown",
      messageId: expect.stringMatching(/^ses-/),
    });
  });

  it("suppresses an address SES refused because it is on SES's own suppression list", async () => {
    const address = `listed-${randomUUID()}@example.org`;
    const mail = untaskedMailTo(address);
    await apply(
      JSON.stringify(
        sesEvent({
          type: "Bounce",
          mail,
          bounceType: "Permanent",
          bounceSubType: "OnAccountSuppressionList",
          recipients: [{ emailAddress: address }],
          at: mail.timestamp,
        }),
      ),
    );
    expect(await suppressedAmong(t.redis, [address])).toMatchObject([
      { reason: "bounce", source: "ses-suppression-list" },
    ]);
  });

  it("neither suppresses nor counts a transient bounce, a rejection or a not-spam complaint", async () => {
    const address = `soft-${randomUUID()}@example.org`;
    const mail = untaskedMailTo(address);
    const outcomes = [
      await apply(
        JSON.stringify(
          sesEvent({
            type: "Bounce",
            mail,
            bounceType: "Transient",
            bounceSubType: "MailboxFull",
            recipients: [{ emailAddress: address }],
            at: mail.timestamp,
          }),
        ),
      ),
      await apply(JSON.stringify(sesEvent({ type: "Reject", mail, reason: "Bad content" }))),
      await apply(
        JSON.stringify(
          sesEvent({
            type: "Complaint",
            mail,
            recipients: [address],
            feedbackType: "not-spam",
            at: mail.timestamp,
          }),
        ),
      ),
    ];
    expect(outcomes.map((o) => o.counted)).toEqual([
      { sent: 1, bounced: 0, complained: 0 },
      { sent: 0, bounced: 0, complained: 0 },
      { sent: 0, bounced: 0, complained: 0 },
    ]);
    expect(await suppressedAmong(t.redis, [address])).toEqual([]);
  });

  it("keeps the public task free of internals and leaves a missing task alone", async () => {
    const { task, events } = await scenario();
    await apply(events[0] as string);
    const stored = await getTask(t.redis, task.id);
    expect(Object.keys(publicTask(stored as NonNullable<typeof stored>))).not.toContain("ownerKeyId");
    const orphan = JSON.parse(events[0] as string);
    orphan.detail.mail.tags.ferry_task = ["tsk_gone"];
    orphan.detail.mail.messageId = `ses-${randomUUID()}`;
    const outcome = await apply(JSON.stringify(orphan));
    expect(outcome).toMatchObject({ task: undefined, changed: false, counted: { sent: 3 } });
  });
});

describe("account rates over the window", () => {
  it("counts each recipient once and divides bounces and complaints by recipients sent", async () => {
    // A moment of its own (year 2031), so no other test's counts fall in this window.
    const now = new Date(Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 1e9));
    const { events } = await scenario();
    for (const e of [...events, ...events]) await apply(e, now);
    const rates = await readReputation(t.redis, { windowSeconds: WINDOW }, now.getTime());
    expect(rates).toEqual({
      windowSeconds: WINDOW,
      sent: 3,
      bounced: 1,
      complained: 1,
      bounceRate: 1 / 3,
      complaintRate: 1 / 3,
    });
    // Past the window the counts have slid out.
    const later = await readReputation(
      t.redis,
      { windowSeconds: WINDOW },
      now.getTime() + (WINDOW + 120) * 1000,
    );
    expect(later).toMatchObject({ sent: 0, bounceRate: 0, complaintRate: 0 });
  });
});
