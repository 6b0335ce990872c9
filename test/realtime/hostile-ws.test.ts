/**
 * Hostile WebSocket frames against the running local runtime (issue #14): whatever a connected
 * client sends within the frame limit, it gets exactly one well-formed reply, the connection stays
 * open and registered, and the runtime keeps serving. Bounded so CI runs it; a failure prints
 * fast-check's seed and path.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { h, key, useRealtimeHarness } from "./support/realtime-file.ts";
import { newTask, ticketUrl } from "./support/runtime.ts";
import { openWs, type TestWsClient } from "./support/ws-client.ts";

useRealtimeHarness();

const REPLY_TYPES = ["subscribed", "unsubscribed", "task.updated", "pong", "error"];
const ERROR_CODES = [
  "malformed_frame",
  "unknown_action",
  "invalid_message",
  "task_not_found",
  "too_many_subscriptions",
];

const anyText = fc.string({ unit: "binary", maxLength: 64 });
const action = fc.oneof(
  fc.constantFrom("subscribe", "unsubscribe", "ping", "$disconnect", "$connect", "$default", "", "PING"),
  anyText,
);
const taskId = fc.oneof(
  anyText,
  fc.stringMatching(/^tsk_[a-f0-9]{8}$/),
  fc.integer(),
  fc.constant(null),
  fc.object(),
);
const frame: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ action, taskId }, { requiredKeys: [] }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constantFrom('{"action":', "{}", "[]", "null", '{"action":{"$disconnect":1}}') },
);

/** The next reply after `before` messages, or a failure naming the frame that got none. */
async function replyTo(client: TestWsClient, before: number, sent: string | Buffer) {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(String(sent))}`)), 5000).unref(),
  );
  return Promise.race([client.nth(before + 1), timeout]);
}

describe("hostile WebSocket frames", () => {
  it("answers every frame with one well-formed message and keeps the connection", async () => {
    // Prepare
    const client = await openWs(await ticketUrl(h.runtime, key));
    const task = await newTask(h.redis, key.keyId);

    // Act + Assess, frame by frame
    await fc.assert(
      fc.asyncProperty(frame, async (sent) => {
        const before = client.messages.length;
        client.sendRaw(sent);
        const reply = await replyTo(client, before, sent);
        expect(REPLY_TYPES).toContain(reply.type);
        if (reply.type === "error") expect(ERROR_CODES).toContain(reply.error?.code);
        expect(client.socket.readyState).toBe(client.socket.OPEN);
      }),
      { numRuns: 150 },
    );

    // Assess: still registered (a subscribe works) and the runtime still serves HTTP.
    const before = client.messages.length;
    client.send({ action: "subscribe", taskId: task.id });
    expect((await client.nth(before + 1)).type).toBe("subscribed");
    expect((await fetch(`${h.runtime.url}/health`)).status).toBe(200);
    await client.close();
  }, 90_000);
});
