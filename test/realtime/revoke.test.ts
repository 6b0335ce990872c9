/**
 * Revoking an API key is immediate for WebSocket clients too (issue #14): a ticket the key got
 * before the revocation no longer upgrades, the key's open connections are closed, and no push
 * reaches them afterwards, while other keys' connections are untouched. Through the local
 * runtime, its `@connections` endpoint and the same revocation `npm run keys -- revoke` runs.
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConnection } from "#shared/realtime/connections.ts";
import { realtimeKeys } from "#shared/realtime/keys.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";
import { revokeKeyEverywhere } from "#shared/realtime/revoke-connections.ts";
import { subscribersOf } from "#shared/realtime/subscriptions.ts";
import { publicTask } from "#shared/tasks/store.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import {
  newKey,
  newTask,
  type RealtimeHarness,
  startHarness,
  type TestKey,
  ticketUrl,
} from "./support/runtime.ts";
import { openWs, type TestWsClient, upgradeStatus } from "./support/ws-client.ts";

let h: RealtimeHarness;
let managementApi: ApiGatewayManagementApiClient;

beforeAll(async () => {
  h = await startHarness();
  managementApi = new ApiGatewayManagementApiClient(localClientConfig(h.runtime.callbackUrl));
});

afterAll(async () => {
  managementApi?.destroy();
  await h?.runtime.stop();
});

async function subscribed(
  key: TestKey,
  taskId: string,
): Promise<{ client: TestWsClient; closed: Promise<number> }> {
  const client = await openWs(await ticketUrl(h.runtime, key));
  const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
  client.send({ action: "subscribe", taskId });
  await client.waitFor((m) => m.type === "task.updated");
  return { client, closed };
}

describe("revoking an API key", () => {
  it("refuses a ticket the key was issued before the revocation", async () => {
    // Prepare
    const key = await newKey(h.redis);
    const url = await ticketUrl(h.runtime, key);

    // Act
    await revokeKeyEverywhere({ redis: h.redis, managementApi }, key.keyId);

    // Assess
    expect(await upgradeStatus(url)).toBe(403);
  });

  it("closes the key's open connections and pushes nothing more to them; other keys keep theirs", async () => {
    // Prepare: two connections of the revoked key and one of another key, all on tasks they own.
    const [revoked, kept] = [await newKey(h.redis), await newKey(h.redis)];
    const [revokedTask, keptTask] = [
      await newTask(h.redis, revoked.keyId),
      await newTask(h.redis, kept.keyId),
    ];
    const first = await subscribed(revoked, revokedTask.id);
    const second = await subscribed(revoked, revokedTask.id);
    const other = await subscribed(kept, keptTask.id);
    const revokedIds = await subscribersOf(h.redis, revokedTask.id);

    // Act
    const outcome = await revokeKeyEverywhere({ redis: h.redis, managementApi }, revoked.keyId);

    // Assess
    expect(outcome).toEqual({ revoked: true, closed: 2, notOpen: 0, failed: 0 });
    expect(await first.closed).toBe(1000);
    expect(await second.closed).toBe(1000);
    for (const id of revokedIds) expect(await getConnection(h.redis, id)).toBeUndefined();
    expect(await subscribersOf(h.redis, revokedTask.id)).toEqual([]);
    expect(await h.redis.exists(realtimeKeys.keyConnections(revoked.keyId))).toBe(0);
    expect(await publishTaskUpdate(h, publicTask(revokedTask))).toEqual({ delivered: 0, gone: 0, failed: 0 });
    expect(await publishTaskUpdate(h, publicTask(keptTask))).toMatchObject({ delivered: 1 });
    expect(other.client.socket.readyState).toBe(other.client.socket.OPEN);
    await other.client.close();
  });

  it("still forgets the connections when no management API is at hand, so nothing reaches them", async () => {
    // Prepare
    const key = await newKey(h.redis);
    const task = await newTask(h.redis, key.keyId);
    const { client } = await subscribed(key, task.id);

    // Act
    const outcome = await revokeKeyEverywhere({ redis: h.redis }, key.keyId);

    // Assess
    expect(outcome).toEqual({ revoked: true, closed: 0, notOpen: 1, failed: 0 });
    expect(await subscribersOf(h.redis, task.id)).toEqual([]);
    const before = client.messages.length;
    client.send({ action: "subscribe", taskId: task.id });
    expect((await client.nth(before + 1)).error?.code).toBe("not_connected");
    await client.close();
  });
});
