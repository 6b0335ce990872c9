/**
 * publishTaskUpdate through the local runtime's @connections endpoint to real `ws` clients:
 * ordered updates ending in the final state, fan-out to many subscribers, cleanup of connections
 * that vanished without a `$disconnect`, and never throwing into the worker.
 */

import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { getConnection, saveConnection } from "#shared/realtime/connections.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";
import { subscribe, subscribersOf, subscriptionsOf } from "#shared/realtime/subscriptions.ts";
import { issueTicket } from "#shared/realtime/tickets.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { publicTask, type StoredTask, transitionTask } from "#shared/tasks/store.ts";
import { TASK_STATUSES, type TaskTransition } from "#shared/tasks/task.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { h, key, useRealtimeHarness } from "./support/realtime-file.ts";
import { newTask, ticketUrl } from "./support/runtime.ts";
import { openWs, type ServerMessageJson, type TestWsClient } from "./support/ws-client.ts";

useRealtimeHarness();

/** Applies a transition and, like the email worker, publishes only when it was applied. */
async function transitionAndPublish(
  taskId: string,
  transition: TaskTransition,
): Promise<StoredTask | undefined> {
  const outcome = await transitionTask(h.redis, taskId, transition, { now: new Date() });
  if (!outcome?.applied) return undefined;
  await publishTaskUpdate(h, outcome.task);
  return outcome.task;
}

async function subscribedClient(taskId: string, url?: string): Promise<TestWsClient> {
  const client = await openWs(url ?? (await ticketUrl(h.runtime, key)));
  client.send({ action: "subscribe", taskId });
  await client.waitFor((m) => m.type === "task.updated");
  return client;
}

const phase = (status: string) => Math.min(TASK_STATUSES.indexOf(status as never), 3);

describe("publishTaskUpdate", () => {
  it("pushes every applied transition in order, ending in succeeded, never going backwards", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await subscribedClient(task.id);
    const error = { code: "ses_throttled", message: "Throttling" };

    // Act: a retried send, with a late duplicate of an old transition in the middle.
    await transitionAndPublish(task.id, { status: "processing", attempt: 1 });
    await transitionAndPublish(task.id, {
      status: "retrying",
      attempt: 1,
      error,
      nextAttemptAt: new Date().toISOString(),
    });
    await transitionAndPublish(task.id, { status: "processing", attempt: 1 });
    await transitionAndPublish(task.id, { status: "processing", attempt: 2 });
    await transitionAndPublish(task.id, { status: "succeeded", attempt: 2, messageId: "msg-1" });
    await client.waitFor((m) => m.task?.status === "succeeded");

    // Assess
    const updates = client.messages.filter((m) => m.type === "task.updated").map((m) => m.task);
    expect(updates.map((t) => t?.status)).toEqual([
      "queued",
      "processing",
      "retrying",
      "processing",
      "succeeded",
    ]);
    for (let i = 1; i < updates.length; i++) {
      const [before, after] = [updates[i - 1], updates[i]];
      expect(after?.version).toBeGreaterThan(before?.version ?? Number.POSITIVE_INFINITY);
      const order = (t: typeof after) => [t?.attempts ?? 0, phase(t?.status ?? "")] as const;
      const [a0, p0] = order(before);
      const [a1, p1] = order(after);
      expect(a1 > a0 || (a1 === a0 && p1 > p0)).toBe(true);
    }
    await client.close();
  });

  it("sends a late subscriber the current state, not the history", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    await transitionAndPublish(task.id, { status: "processing", attempt: 1 });
    await transitionAndPublish(task.id, { status: "succeeded", attempt: 1, messageId: "msg-late" });

    // Act
    const client = await subscribedClient(task.id);

    // Assess
    const updates = client.messages.filter((m) => m.type === "task.updated");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.task).toMatchObject({ status: "succeeded", version: 3 });
    await client.close();
  });

  it("delivers the final state to 200 concurrent subscribers of one task", async () => {
    // Prepare: tickets straight from the domain function (200 HTTP calls would only test the
    // rate limiter), connections and subscriptions through the real gateway.
    const task = await newTask(h.redis, key.keyId);
    const tickets = await Promise.all(
      Array.from({ length: 200 }, () => issueTicket(h.redis, { keyId: key.keyId })),
    );
    // Joined 20 at a time: what is measured is the fan-out, not 200 simultaneous $connects
    // racing their Redis budget on a loaded 2-core machine.
    const clients: Awaited<ReturnType<typeof subscribedClient>>[] = [];
    for (let at = 0; at < tickets.length; at += 20) {
      clients.push(
        ...(await Promise.all(
          tickets
            .slice(at, at + 20)
            .map(({ ticket }) => subscribedClient(task.id, `${h.runtime.wsUrl}?ticket=${ticket}`)),
        )),
      );
    }
    await transitionTask(h.redis, task.id, { status: "processing", attempt: 1 }, { now: new Date() });
    const final = await transitionTask(
      h.redis,
      task.id,
      { status: "succeeded", attempt: 1, messageId: "msg-fanout" },
      { now: new Date() },
    );

    // Act
    const result = await publishTaskUpdate(h, publicTask(final?.task as StoredTask));

    // Assess
    expect(result).toEqual({ delivered: 200, gone: 0, failed: 0 });
    const received = await Promise.all(clients.map((c) => c.waitFor((m) => m.task?.status === "succeeded")));
    expect(received.every((m: ServerMessageJson) => m.task?.id === task.id && m.task.version === 3)).toBe(
      true,
    );
    await Promise.all(clients.map((c) => c.close()));
  });

  it("removes a connection that vanished without a $disconnect when the next push finds it gone", async () => {
    // Prepare: one live subscriber, and one the gateway no longer knows (its $disconnect was
    // lost, which AWS allows: $disconnect is best effort) but that Redis still holds.
    const task = await newTask(h.redis, key.keyId);
    const live = await subscribedClient(task.id);
    const staleId = "c3RhbGUtY29ubmVjdGlvbg=";
    await saveConnection(h.redis, staleId, { keyId: key.keyId, connectedAt: new Date().toISOString() });
    expect((await subscribe(h.redis, staleId, task.id)).kind).toBe("subscribed");
    const applied = await transitionTask(
      h.redis,
      task.id,
      { status: "processing", attempt: 1 },
      { now: new Date() },
    );

    // Act
    const result = await publishTaskUpdate(h, applied?.task as StoredTask);

    // Assess
    expect(result).toEqual({ delivered: 1, gone: 1, failed: 0 });
    expect(await getConnection(h.redis, staleId)).toBeUndefined();
    expect(await subscriptionsOf(h.redis, staleId)).toEqual([]);
    expect(await subscribersOf(h.redis, task.id)).toHaveLength(1);
    expect(await live.waitFor((m) => m.task?.status === "processing")).toBeDefined();
    await live.close();
  });

  it("removes a gone connection from the subscriber set of every task it followed", async () => {
    // Prepare: a connection without a $disconnect, following two tasks; only one gets a push.
    const [pushed, other] = [await newTask(h.redis, key.keyId), await newTask(h.redis, key.keyId)];
    const staleId = "c3RhbGUtdHdvLXRhc2tzAA=";
    await saveConnection(h.redis, staleId, { keyId: key.keyId, connectedAt: new Date().toISOString() });
    for (const task of [pushed, other])
      expect((await subscribe(h.redis, staleId, task.id)).kind).toBe("subscribed");

    // Act
    const result = await publishTaskUpdate(h, publicTask(pushed));

    // Assess
    expect(result.gone).toBe(1);
    expect(await subscribersOf(h.redis, pushed.id)).toEqual([]);
    expect(await subscribersOf(h.redis, other.id)).toEqual([]);
    expect(await getConnection(h.redis, staleId)).toBeUndefined();
  });

  it("strips the owner's key id from a stored task before pushing it", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await subscribedClient(task.id);
    const applied = await transitionTask(
      h.redis,
      task.id,
      { status: "processing", attempt: 1 },
      { now: new Date() },
    );

    // Act
    await publishTaskUpdate(h, applied?.task as StoredTask);
    const pushed = await client.waitFor((m) => m.task?.status === "processing");

    // Assess
    expect(pushed.task).not.toHaveProperty("ownerKeyId");
    await client.close();
  });

  it("returns without pushing when nobody is subscribed", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);

    // Act
    const result = await publishTaskUpdate(h, publicTask(task));

    // Assess
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 0 });
  });
});

describe("publishTaskUpdate never throws into the worker", () => {
  /** A loopback port with nothing listening on it (taken, then released). */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    return port;
  }

  it("counts pushes as failed when the management endpoint is unreachable", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const client = await subscribedClient(task.id);
    const { ApiGatewayManagementApiClient } = await import("@aws-sdk/client-apigatewaymanagementapi");
    const unreachable = new ApiGatewayManagementApiClient({
      ...localClientConfig(`http://127.0.0.1:${await closedPort()}/_ws`),
      maxAttempts: 1,
    });

    // Act
    const result = await publishTaskUpdate({ ...h, managementApi: unreachable }, publicTask(task));

    // Assess
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 1 });
    expect(await subscribersOf(h.redis, task.id)).toHaveLength(1);
    await client.close();
  });

  it("resolves with nothing delivered when Redis is unreachable", async () => {
    // Prepare
    const task = await newTask(h.redis, key.keyId);
    const port = await closedPort();
    const redis = createRedisClient({ url: `http://127.0.0.1:${port}`, token: "x", timeoutMs: 1000 });
    const config = { ...h.config, UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${port}` };

    // Act
    const result = await publishTaskUpdate({ redis, config }, publicTask(task));

    // Assess
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 0 });
  });
});
