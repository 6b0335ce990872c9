/**
 * Network realism: with every Redis request and every SQS and SES call 80 ms away
 * (FERRY_LOCAL_LATENCY_MS), nothing answers 503 — ordinary latency is not an outage — and an
 * email still goes all the way to `succeeded`.
 */
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { forFile } from "#test/support/for-file.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let rt: LocalRuntime;
forFile(
  () => startTestRuntime({ FERRY_LOCAL_LATENCY_MS: "80" }),
  (started) => {
    rt = started;
  },
);

describe("with Redis, SQS and SES 80 ms away", () => {
  it("accepts every email of a concurrent burst (no 503) and sends them", async () => {
    // Act
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
          key: rt.devApiKey,
          json: { to: "a@example.com", subject: `far ${n}`, text: "t" },
        }),
      ),
    );

    // Assess
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
    const first = replies[0]?.body.taskId ?? "";
    const done = await eventually(
      async () => {
        const task = (await call<Task>(rt.url, "GET", `/v1/tasks/${first}`, { key: rt.devApiKey })).body;
        return task.status === "succeeded" ? task : undefined;
      },
      { timeoutMs: 30_000, what: "the first email to be sent" },
    );
    expect(done.status).toBe("succeeded");
  });
});
