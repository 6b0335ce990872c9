/**
 * `/local/faults` and the SES circuit breaker: SES throttling every send, switched on over HTTP,
 * opens the breaker (seen in GET /health); switched off, the held emails are sent. On its own
 * Redis database: the breaker's state is deployment-wide.
 */
import { expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { call, eventually } from "#test/support/http.ts";
import { ONE_SECOND_EMAIL_RETRIES, testRuntimeForFile } from "#test/support/runtime.ts";

let rt: LocalRuntime;
testRuntimeForFile(
  {
    ...ONE_SECOND_EMAIL_RETRIES,
    SES_BREAKER_THRESHOLD: "2",
    SES_BREAKER_WINDOW_MS: "10000",
    SES_BREAKER_COOLDOWN_MS: "1000",
    SES_BREAKER_MAX_COOLDOWN_MS: "2000",
  },
  { db: 12 },
  (started) => (rt = started),
);

const circuit = async () =>
  (await call<{ checks: { sesCircuit: { state: string } } }>(rt.url, "GET", "/health")).body.checks.sesCircuit
    .state;

it("SES throttling until cleared opens the circuit; once cleared, every held email is sent", async () => {
  // Prepare
  const fault = await call<{ id: string }>(rt.url, "POST", "/local/faults", {
    json: { service: "ses", kind: "throttle", action: "SendEmail" },
  });
  const subjects = [1, 2, 3].map((n) => `breaker ${n} ${Math.random().toString(36).slice(2)}`);

  // Act
  const sent = await Promise.all(
    subjects.map((subject) =>
      call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
        key: rt.devApiKey,
        json: { to: "ada@example.com", subject, text: "held by the breaker" },
      }),
    ),
  );
  await eventually(async () => ((await circuit()) === "open" ? true : undefined), {
    what: "the SES circuit to open",
  });
  const cleared = await call(rt.url, "DELETE", `/local/faults/${fault.body.id}`);

  // Assess
  expect(fault.status).toBe(201);
  expect(cleared.status).toBe(204);
  for (const { body } of sent) {
    await eventually(
      async () =>
        (await call<Task>(rt.url, "GET", `/v1/tasks/${body.taskId}`, { key: rt.devApiKey })).body.status ===
        "succeeded"
          ? true
          : undefined,
      { timeoutMs: 30_000, what: `task ${body.taskId} sent` },
    );
  }
  const outbox = await rt.outbox();
  for (const subject of subjects) expect(outbox.filter((e) => e.subject === subject)).toHaveLength(1);
  await eventually(async () => ((await circuit()) === "closed" ? true : undefined), {
    what: "the SES circuit to close",
  });
}, 60_000);
