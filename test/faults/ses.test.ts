/**
 * Fault suite, SES: throttling, calls that time out after SES accepted the email, and calls SES
 * received and never answered. Every accepted email ends sent or explained, none twice.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { type FaultDecision, type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";
import { type Figures, measure, sendMany, writeReport } from "./support/figures.ts";

const COUNT = 20;
let rt: LocalRuntime;
let ses: SesFaultProxy;
const forward: FaultDecision = { kind: "forward" };
/** The plan for the subjects of the scenario running now; everything else is forwarded. */
let plan: (subject: string) => FaultDecision = () => forward;

forFile(
  () =>
    startTestRuntimeBehindSesProxy(
      {
        EMAIL_RETRY_BASE_SECONDS: "1",
        EMAIL_RETRY_MAX_SECONDS: "2",
        // The breaker has its own tests; here every throttle is retried on its own.
        SES_BREAKER_THRESHOLD: "1000",
        SES_REQUEST_TIMEOUT_MS: "1500",
        EMAIL_FROM: "faults@ferry.test",
      },
      { db: 9 },
    ),
  (started) => {
    ({ rt, ses } = started);
    ses.setPlan((c) => plan(c.subject));
  },
);

afterAll(() => {
  writeReport();
});

/** `decision` for the first SendEmail of each email; its retries are forwarded. */
const firstCallOfEach = (decision: () => FaultDecision) => {
  const seen = new Set<string>();
  return (subject: string): FaultDecision => {
    if (seen.has(subject)) return forward;
    seen.add(subject);
    return decision();
  };
};

/** `decision` for every SendEmail of the first `n` emails the proxy sees; the rest are forwarded. */
const everyCallOfFirst = (n: number, decision: FaultDecision) => {
  const chosen = new Set<string>();
  return (subject: string): FaultDecision => {
    if (chosen.size >= n && !chosen.has(subject)) return forward;
    chosen.add(subject);
    return decision;
  };
};

/** Sends COUNT emails whose SendEmail calls `decide` answers, and counts what became of them. */
async function underFault(
  label: string,
  scenario: string,
  fault: string,
  decide: (subject: string) => FaultDecision,
): Promise<Figures> {
  const prefix = `${label}-${Date.now()}`;
  plan = (subject) => (subject.startsWith(prefix) ? decide(subject) : forward);
  const startedAt = Date.now();
  const outcomes = await sendMany(rt, prefix, COUNT);
  return measure(rt, scenario, fault, outcomes, startedAt);
}

/** Every email accepted and final, `applied` of them sent, none twice, none lost or stuck. */
const everyEmailAccountedFor = (applied: number) => ({
  sent: COUNT,
  accepted: COUNT,
  applied,
  duplicated: 0,
  lost: 0,
  stuck: 0,
});

describe("fault suite: SES", () => {
  it("throttling: each email's first SendEmail refused with TooManyRequests; all sent once, by retries", async () => {
    // Act
    const figures = await underFault(
      "ses-throttle",
      "SES throttling",
      "first SendEmail of each email → 429",
      firstCallOfEach(() => throttle()),
    );

    // Assess
    expect(figures).toMatchObject(everyEmailAccountedFor(COUNT));
  }, 90_000);

  it("timing out: SES accepts 5 emails and never answers; they fail delivery_unknown and are not resent", async () => {
    // Act
    const figures = await underFault(
      "ses-timeout",
      "SES timing out",
      "5 SendEmail accepted, never answered",
      everyCallOfFirst(5, { kind: "forwardAndHold" }),
    );

    // Assess
    expect(figures).toMatchObject(everyEmailAccountedFor(COUNT));
    expect(figures.failed).toEqual({ delivery_unknown: 5 });
  }, 90_000);

  it("hanging: SES reads 5 requests and never answers; they fail delivery_unknown, the rest are sent", async () => {
    // Act
    const figures = await underFault(
      "ses-hang",
      "SES hanging",
      "5 SendEmail read, never answered",
      everyCallOfFirst(5, { kind: "hang" }),
    );

    // Assess
    expect(figures).toMatchObject(everyEmailAccountedFor(COUNT - 5));
    expect(figures.failed).toEqual({ delivery_unknown: 5 });
  }, 90_000);
});
