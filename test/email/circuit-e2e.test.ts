/**
 * The SES circuit breaker through the local runtime: a throttling storm opens it (visible in
 * GET /health), queued emails wait without calling SES, one probe closes it, everything is sent
 * exactly once.
 */
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { forFile } from "#test/support/for-file.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";

let rt: LocalRuntime;
let ses: SesFaultProxy;

// Its own Redis database: an open breaker pauses sends for the whole deployment, which here
// would be every other test file's runtime.
forFile(
  () =>
    startTestRuntimeBehindSesProxy(
      {
        EMAIL_RETRY_BASE_SECONDS: "1",
        EMAIL_RETRY_MAX_SECONDS: "1",
        SES_BREAKER_THRESHOLD: "3",
        SES_BREAKER_COOLDOWN_MS: "3000",
      },
      { db: 7 },
    ),
  (started) => {
    ({ rt, ses } = started);
  },
);

type Health = { status: string; checks: { sesCircuit: { state: string; status: string } } };

describe("SES circuit breaker", () => {
  it("opens after repeated throttling, pauses sends, and one probe closes it", async () => {
    let throttling = true;
    ses.setPlan(() => (throttling ? throttle() : { kind: "forward" }));
    const subjects = [1, 2, 3, 4, 5].map((i) => `breaker ${i} ${Math.random()}`);

    const ids = await Promise.all(
      subjects.map(async (subject) => {
        const res = await call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
          key: rt.devApiKey,
          json: { to: "a@example.com", subject, text: "t" },
        });
        return res.body.taskId;
      }),
    );
    const open = await eventually(
      async () => {
        const h = (await call<Health>(rt.url, "GET", "/health")).body;
        return h.checks.sesCircuit.state === "open" ? h : undefined;
      },
      { what: "the breaker to open" },
    );
    const callsWhenOpened = ses.calls.length;
    await new Promise((r) => setTimeout(r, 1500));
    const callsWhileOpen = ses.calls.length - callsWhenOpened;
    throttling = false;

    const final = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const t = (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key: rt.devApiKey })).body;
            return t.status === "succeeded" ? t : undefined;
          },
          { timeoutMs: 30_000, what: `task ${id}` },
        ),
      ),
    );

    expect(open).toMatchObject({ status: "degraded", checks: { sesCircuit: { status: "error" } } });
    expect(callsWhileOpen).toBe(0);
    expect(final.map((t) => t.status)).toEqual(Array(5).fill("succeeded"));
    const outbox = await rt.outbox();
    for (const subject of subjects) expect(outbox.filter((e) => e.subject === subject)).toHaveLength(1);
    const health = (await call<Health>(rt.url, "GET", "/health")).body;
    expect(health).toMatchObject({ status: "ok", checks: { sesCircuit: { state: "closed" } } });
  }, 45_000);
});
