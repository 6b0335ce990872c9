/**
 * The whole live-results path: POST /v1/emails, subscribe over a real WebSocket, and watch the
 * email worker's transitions arrive — through a throttled first attempt — until `succeeded`.
 */
import { describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { holdSesSends } from "#test/support/held-ses-sends.ts";
import { call } from "#test/support/http.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";
import { redisOf } from "#test/support/upstash.ts";
import { newKey, ticketUrl } from "./support/runtime.ts";
import { openWs, type ServerMessageJson } from "./support/ws-client.ts";

let rt: LocalRuntime;
let ses: SesFaultProxy;

forFile(
  () =>
    startTestRuntimeBehindSesProxy({
      EMAIL_RETRY_BASE_SECONDS: "1",
      EMAIL_RETRY_MAX_SECONDS: "1",
      SES_BREAKER_THRESHOLD: "1000",
      // This spec is about the submission's transitions, pushed by the email worker alone. SES's
      // delivery events (pushed by the events worker, which may interleave with them) have their
      // own spec: test/delivery/lifecycle-e2e.test.ts.
      FERRY_LOCAL_SES_EVENTS: "off",
    }),
  (started) => {
    ({ rt, ses } = started);
  },
);

const PHASE: Record<string, number> = { queued: 0, processing: 1, retrying: 2, succeeded: 3, failed: 3 };

describe("live results for an email", () => {
  it("pushes every transition in order, through a retry, ending in succeeded", async () => {
    const redis = redisOf(rt);
    const key = await newKey(redis, ["emails:send", "realtime:connect"]);
    const subject = `live ${Math.random()}`;
    let throttled = false;
    ses.setPlan((c) => {
      if (c.subject !== subject || throttled) return { kind: "forward" };
      throttled = true;
      return throttle();
    });

    // The queue has no batching window: the worker can reach SES (and be throttled, and retry)
    // before this client has subscribed. Its SES calls wait at the edge until it has.
    const sends = holdSesSends(rt);
    const ws = await openWs(await ticketUrl(rt, key));

    const accepted = await call<{ taskId: string }>(rt.url, "POST", "/v1/emails", {
      key: key.secret,
      json: { to: "a@example.com", subject, text: "t" },
    });
    ws.send({ action: "subscribe", taskId: accepted.body.taskId });
    await ws.waitFor((m) => m.type === "subscribed");
    sends.letThrough();
    await ws.waitFor((m) => m.type === "task.updated" && m.task?.status === "succeeded");
    await ws.close();
    sends.release();

    const received = ws.messages.filter((m): m is Required<ServerMessageJson> => m.type === "task.updated");
    // docs/realtime.md: the subscribe snapshot may race with a transition at the same moment, and
    // a client ignores any version not above the last it saw. Only that one update may be stale.
    let lastVersion = 0;
    const updates = received.filter((m) => {
      if (m.task.version <= lastVersion) return false;
      lastVersion = m.task.version;
      return true;
    });
    expect(received.length - updates.length).toBeLessThanOrEqual(1);
    const statuses = updates.map((m) => m.task.status);
    expect(ws.messages[0]).toEqual({ type: "subscribed", taskId: accepted.body.taskId });
    expect(statuses).toContain("retrying");
    expect(statuses.at(-1)).toBe("succeeded");
    // Never backwards: versions strictly increase, and (attempt, phase) never decreases.
    for (let i = 1; i < updates.length; i++) {
      const [prev, next] = [updates[i - 1]?.task, updates[i]?.task];
      if (!prev || !next) throw new Error("unreachable");
      expect(next.version).toBeGreaterThan(prev.version);
      const order = (t: typeof prev) => t.attempts * 10 + (PHASE[t.status] ?? 0);
      expect(order(next)).toBeGreaterThan(order(prev));
    }
  }, 60_000); // A cold start per function, and another for the retry if the first is still busy.
});
