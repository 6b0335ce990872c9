/**
 * Fault suite, SES: throttling, calls that time out after SES accepted the email, and calls SES
 * received and never answered. Every accepted email ends sent or explained, none twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import {
  type FaultDecision,
  type SesFaultProxy,
  startSesFaultProxy,
  throttle,
} from "#test/support/ses-fault-proxy.ts";
import { measure, sendMany, writeReport } from "./support/figures.ts";

const COUNT = 20;
let rt: LocalRuntime;
let ses: SesFaultProxy;
/** The plan for the subjects of the scenario running now; everything else is forwarded. */
let plan: (subject: string, n: number) => FaultDecision = () => ({ kind: "forward" });

beforeAll(async () => {
  ses = await startSesFaultProxy();
  rt = await startTestRuntime(
    {
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      EMAIL_RETRY_BASE_SECONDS: "1",
      EMAIL_RETRY_MAX_SECONDS: "2",
      // The breaker has its own tests; here every throttle is retried on its own.
      SES_BREAKER_THRESHOLD: "1000",
      SES_REQUEST_TIMEOUT_MS: "1500",
      EMAIL_FROM: "faults@ferry.test",
    },
    { db: 9 },
  );
  ses.setTarget(rt.ses.endpoint);
  ses.setPlan((c) => plan(c.subject, c.n));
});

afterAll(async () => {
  await rt?.stop();
  await ses?.close();
  writeReport();
});

describe("fault suite: SES", () => {
  it("throttling: each email's first SendEmail refused with TooManyRequests; all sent once, by retries", async () => {
    // Prepare
    const prefix = `ses-throttle-${Date.now()}`;
    const throttled = new Set<string>();
    plan = (subject) => {
      if (!subject.startsWith(prefix) || throttled.has(subject)) return { kind: "forward" };
      throttled.add(subject);
      return throttle();
    };
    const startedAt = Date.now();

    // Act
    const outcomes = await sendMany(rt, prefix, COUNT);
    const figures = await measure(
      rt,
      "SES throttling",
      "first SendEmail of each email → 429",
      outcomes,
      startedAt,
    );

    // Assess
    expect(figures).toMatchObject({
      sent: COUNT,
      accepted: COUNT,
      applied: COUNT,
      duplicated: 0,
      lost: 0,
      stuck: 0,
    });
  }, 90_000);

  it("timing out: SES accepts 5 emails and never answers; they fail delivery_unknown and are not resent", async () => {
    // Prepare
    const prefix = `ses-timeout-${Date.now()}`;
    const held = new Set<string>();
    plan = (subject) => {
      if (!subject.startsWith(prefix) || (held.size >= 5 && !held.has(subject))) return { kind: "forward" };
      held.add(subject);
      return { kind: "forwardAndHold" };
    };
    const startedAt = Date.now();

    // Act
    const outcomes = await sendMany(rt, prefix, COUNT);
    const figures = await measure(
      rt,
      "SES timing out",
      "5 SendEmail accepted, never answered",
      outcomes,
      startedAt,
    );

    // Assess
    expect(figures).toMatchObject({
      sent: COUNT,
      accepted: COUNT,
      applied: COUNT,
      duplicated: 0,
      lost: 0,
      stuck: 0,
    });
    expect(figures.failed).toEqual({ delivery_unknown: 5 });
  }, 90_000);

  it("hanging: SES reads 5 requests and never answers; they fail delivery_unknown, the rest are sent", async () => {
    // Prepare
    const prefix = `ses-hang-${Date.now()}`;
    const hung = new Set<string>();
    plan = (subject) => {
      if (!subject.startsWith(prefix) || (hung.size >= 5 && !hung.has(subject))) return { kind: "forward" };
      hung.add(subject);
      return { kind: "hang" };
    };
    const startedAt = Date.now();

    // Act
    const outcomes = await sendMany(rt, prefix, COUNT);
    const figures = await measure(rt, "SES hanging", "5 SendEmail read, never answered", outcomes, startedAt);

    // Assess
    expect(figures).toMatchObject({
      sent: COUNT,
      accepted: COUNT,
      applied: COUNT - 5,
      duplicated: 0,
      lost: 0,
      stuck: 0,
    });
    expect(figures.failed).toEqual({ delivery_unknown: 5 });
  }, 90_000);
});
