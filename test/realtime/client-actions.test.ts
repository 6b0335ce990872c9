/**
 * The WebSocket client protocol through the local runtime with real `ws` clients: subscribe,
 * unsubscribe, ping, errors for bad frames (the connection stays open), ownership, the bound on
 * subscriptions, and cleanup on disconnect.
 */

import { describe, expect, it } from "vitest";
import { getConnection } from "#shared/realtime/connections.ts";
import { realtimeKeys } from "#shared/realtime/keys.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";
import {
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  subscribersOf,
  subscriptionsOf,
} from "#shared/realtime/subscriptions.ts";
import { publicTask } from "#shared/tasks/store.ts";
import { h, key, useRealtimeHarness } from "./support/realtime-file.ts";
import { newKey, newTask, type TestKey, ticketUrl } from "./support/runtime.ts";
import { eventually, openWs, type TestWsClient } from "./support/ws-client.ts";

useRealtimeHarness();

async function connected(owner: TestKey = key): Promise<TestWsClient> {
  return openWs(await ticketUrl(h.runtime, owner));
}

/** Proves the connection still works after an error: a ping still gets its pong. */
async function stillOpen(client: TestWsClient): Promise<boolean> {
  const before = client.messages.length;
  client.send({ action: "ping" });
  const reply = await client.nth(before + 1);
  return reply.type === "pong";
}

describe("subscribe", () => {
  it("confirms the subscription, then sends the task's current state at once", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await connected();

    // Act
    client.send({ action: "subscribe", taskId: task.id });

    // Assess
    expect(await client.nth(1)).toEqual({ type: "subscribed", taskId: task.id });
    expect(await client.nth(2)).toEqual({ type: "task.updated", task: publicTask(task) });
    await client.close();
  });

  it("never shows the task's owner key id", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await connected();

    // Act
    client.send({ action: "subscribe", taskId: task.id });
    const snapshot = await client.waitFor((m) => m.type === "task.updated");

    // Assess
    expect(JSON.stringify(snapshot)).not.toContain(key.keyId);
    await client.close();
  });

  it("refuses another principal's task with task_not_found and subscribes nothing", async () => {
    // Prepare
    const other = await newKey(h.redis);
    const othersTask = await newTask(h.redis, other.keyId);
    const client = await connected();

    // Act
    client.send({ action: "subscribe", taskId: othersTask.id });
    const reply = await client.nth(1);

    // Assess
    expect(reply).toEqual({
      type: "error",
      taskId: othersTask.id,
      error: { code: "task_not_found", message: expect.any(String) },
    });
    expect(await subscribersOf(h.redis, othersTask.id)).toEqual([]);
    expect(await stillOpen(client)).toBe(true);
    await client.close();
  });

  it("answers an unknown task exactly like another principal's", async () => {
    // Prepare
    const client = await connected();

    // Act
    client.send({ action: "subscribe", taskId: "tsk_does-not-exist" });

    // Assess
    expect((await client.nth(1)).error?.code).toBe("task_not_found");
    await client.close();
  });

  it(`refuses more than ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one connection`, async () => {
    // Prepare
    const tasks = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION + 1 }, () => newTask(h.redis, key.keyId)),
    );
    const client = await connected();
    for (const task of tasks.slice(0, MAX_SUBSCRIPTIONS_PER_CONNECTION)) {
      client.send({ action: "subscribe", taskId: task.id });
      await client.waitFor((m) => m.type === "task.updated" && m.task?.id === task.id);
    }
    const last = tasks[MAX_SUBSCRIPTIONS_PER_CONNECTION];

    // Act
    client.send({ action: "subscribe", taskId: last?.id });
    const reply = await client.waitFor((m) => m.type === "error");

    // Assess
    expect(reply.error?.code).toBe("too_many_subscriptions");
    expect(reply.taskId).toBe(last?.id);
    expect(await subscribersOf(h.redis, last?.id ?? "")).toEqual([]);
    await client.close();
  });

  it("answers not_connected once the connection's record is gone (expired), and stays open", async () => {
    // Prepare
    const [first, second] = [await newTask(h.redis, key.keyId), await newTask(h.redis, key.keyId)];
    const client = await connected();
    client.send({ action: "subscribe", taskId: first.id });
    await client.nth(2);
    const [connectionId = ""] = await subscribersOf(h.redis, first.id);
    await h.redis.del(realtimeKeys.connection(connectionId));

    // Act
    client.send({ action: "subscribe", taskId: second.id });

    // Assess
    expect((await client.nth(3)).error?.code).toBe("not_connected");
    expect(await subscribersOf(h.redis, second.id)).toEqual([]);
    expect(await stillOpen(client)).toBe(true);
    await client.close();
  });

  it("accepts a repeated subscribe to the same task without counting it twice", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await connected();
    client.send({ action: "subscribe", taskId: task.id });
    await client.nth(2);

    // Act
    client.send({ action: "subscribe", taskId: task.id });

    // Assess
    expect(await client.nth(3)).toEqual({ type: "subscribed", taskId: task.id });
    expect(await subscribersOf(h.redis, task.id)).toHaveLength(1);
    await client.close();
  });
});

describe("unsubscribe", () => {
  it("confirms and stops pushes to that connection", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await connected();
    client.send({ action: "subscribe", taskId: task.id });
    await client.nth(2);

    // Act
    client.send({ action: "unsubscribe", taskId: task.id });
    const reply = await client.nth(3);
    const pushed = await publishTaskUpdate(h, publicTask(task));

    // Assess
    expect(reply).toEqual({ type: "unsubscribed", taskId: task.id });
    expect(pushed).toEqual({ delivered: 0, gone: 0, failed: 0 });
    expect(await subscribersOf(h.redis, task.id)).toEqual([]);
    await client.close();
  });

  it("is idempotent for a task the connection never followed", async () => {
    // Prepare
    const client = await connected();

    // Act
    client.send({ action: "unsubscribe", taskId: "tsk_never-followed" });

    // Assess
    expect(await client.nth(1)).toEqual({ type: "unsubscribed", taskId: "tsk_never-followed" });
    await client.close();
  });
});

describe("ping", () => {
  it("answers pong", async () => {
    // Prepare
    const client = await connected();

    // Act
    client.send({ action: "ping" });

    // Assess
    expect(await client.nth(1)).toEqual({ type: "pong" });
    await client.close();
  });
});

describe("bad frames get an error message and the connection stays open", () => {
  it.each([
    ["an unknown action", JSON.stringify({ action: "teleport" }), "unknown_action"],
    ["text that is not JSON", "subscribe me please", "malformed_frame"],
    ["JSON without an action", JSON.stringify({ taskId: "tsk_1" }), "malformed_frame"],
    ["a JSON array", JSON.stringify([{ action: "ping" }]), "malformed_frame"],
    ["a non-string action", JSON.stringify({ action: 42 }), "malformed_frame"],
    ["subscribe without a taskId", JSON.stringify({ action: "subscribe" }), "invalid_message"],
    [
      "subscribe with an empty taskId",
      JSON.stringify({ action: "subscribe", taskId: "" }),
      "invalid_message",
    ],
    [
      "subscribe with spaces in the taskId",
      JSON.stringify({ action: "subscribe", taskId: "a b" }),
      "invalid_message",
    ],
  ])("%s → %s", async (_what, frame, code) => {
    // Prepare
    const client = await connected();

    // Act
    client.sendRaw(frame);
    const reply = await client.nth(1);

    // Assess
    expect(reply).toEqual({ type: "error", error: { code, message: expect.any(String) } });
    expect(await stillOpen(client)).toBe(true);
    await client.close();
  });

  it("a binary frame → malformed_frame", async () => {
    // Prepare
    const client = await connected();

    // Act
    client.sendRaw(Buffer.from([0xff, 0x00, 0x81]));

    // Assess
    expect((await client.nth(1)).error?.code).toBe("malformed_frame");
    expect(await stillOpen(client)).toBe(true);
    await client.close();
  });
});

describe("$disconnect", () => {
  async function subscribedClient() {
    const task = await newTask(h.redis, key.keyId);
    const client = await connected();
    client.send({ action: "subscribe", taskId: task.id });
    await client.nth(2);
    const [connectionId = ""] = await subscribersOf(h.redis, task.id);
    return { task, client, connectionId };
  }

  it("forgets a connection closed by the client, with its subscriptions", async () => {
    // Prepare
    const { task, client, connectionId } = await subscribedClient();

    // Act
    await client.close();

    // Assess: the record goes first, then (a second round trip, removeConnection) the task's
    // subscriber entry: wait for both, not only the first.
    await eventually(
      async () =>
        (await getConnection(h.redis, connectionId)) === undefined &&
        (await subscribersOf(h.redis, task.id)).length === 0,
    );
    expect(await subscribersOf(h.redis, task.id)).toEqual([]);
    expect(await subscriptionsOf(h.redis, connectionId)).toEqual([]);
  });

  it("forgets a connection cut at TCP level without a close handshake", async () => {
    // Prepare
    const { task, client, connectionId } = await subscribedClient();

    // Act
    client.socket.terminate();

    // Assess
    await eventually(async () => (await subscribersOf(h.redis, task.id)).length === 0);
    expect(await getConnection(h.redis, connectionId)).toBeUndefined();
  });
});

describe("reserved actions and oversized frames", () => {
  it.each(["$disconnect", "$connect", "$default"])(
    'refuses {"action":"%s"} with an error frame and keeps the connection registered',
    async (action) => {
      // Prepare
      const task = await newTask(h.redis, key.keyId);
      const client = await connected();

      // Act
      client.send({ action });
      const reply = await client.nth(1);
      client.send({ action: "subscribe", taskId: task.id });

      // Assess: refused, and the connection can still subscribe (it was not unregistered).
      expect(reply).toEqual({
        type: "error",
        error: { code: "unknown_action", message: expect.stringContaining("reserved") },
      });
      expect((await client.nth(2)).type).toBe("subscribed");
      await client.close();
    },
  );

  it("serves a frame of exactly 32 KB", async () => {
    // Prepare: a JSON frame padded to API Gateway's frame limit.
    const client = await connected();
    const frame = JSON.stringify({ action: "ping", pad: "" });
    const padded = frame.replace('"pad":""', `"pad":"${"x".repeat(32 * 1024 - frame.length)}"`);

    // Act
    client.sendRaw(padded);

    // Assess
    expect(Buffer.byteLength(padded)).toBe(32 * 1024);
    expect(await client.nth(1)).toEqual({ type: "pong" });
    await client.close();
  });

  it("closes the connection with 1009 on a frame over 32 KB, as API Gateway does", async () => {
    // Prepare
    const client = await connected();
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));

    // Act
    client.sendRaw("x".repeat(32 * 1024 + 1));

    // Assess
    expect(await closed).toBe(1009);
  });
});
