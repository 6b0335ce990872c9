/**
 * Pushes a task's new state to every connection subscribed to it. The email worker calls this
 * after each applied transition and awaits it, in order, so one connection receives a task's
 * updates in version order. It never throws: a push is a courtesy to watchers and must not fail
 * (or retry) an email send. Stale connections found on the way (GoneException) are forgotten.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { managementApiClient } from "#shared/aws/management-api-client.ts";
import type { Config } from "#shared/config.ts";
import { logger } from "#shared/logger.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { publicTask, type StoredTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { forEachWithConcurrency } from "./concurrency.ts";
import { removeConnection } from "./connections.ts";
import { deliver } from "./deliver.ts";
import { subscribersOf } from "./subscriptions.ts";

/** PostToConnection calls in flight per publish: fast fan-out without a burst of sockets. */
export const PUBLISH_CONCURRENCY = 25;

export interface PublishDeps {
  readonly redis: RedisClient;
  /** A function with the websocket:manage need has WS_CALLBACK_URL (checked at cold start). */
  readonly config: Config & { readonly WS_CALLBACK_URL: string };
  /** Defaults to the container's client for WS_CALLBACK_URL. */
  readonly managementApi?: ApiGatewayManagementApiClient;
  /** The caller's logger (the worker's per-record one); the container's by default. */
  readonly logger?: Logger;
}

export interface PublishResult {
  readonly delivered: number;
  /** Connections that were gone; they and their subscriptions have been removed. */
  readonly gone: number;
  /** Pushes that failed for another reason (logged). */
  readonly failed: number;
}

/**
 * `subscribers`: the task's subscribers when the caller already read them in the same script as
 * the transition (the email worker does: one Redis round trip fewer per push); else they are read here.
 */
export async function publishTaskUpdate(
  deps: PublishDeps,
  task: Task,
  subscribers?: readonly string[],
): Promise<PublishResult> {
  const log = deps.logger ?? logger;
  // Callers may hold the stored form; the owner's key id never leaves the server.
  const message = { type: "task.updated", task: publicTask(task as StoredTask) } as const;
  let connectionIds: readonly string[];
  try {
    connectionIds = subscribers ?? (await subscribersOf(deps.redis, task.id));
  } catch (error) {
    log.error("publishTaskUpdate: listing subscribers failed", { taskId: task.id, error: error as Error });
    return { delivered: 0, gone: 0, failed: 0 };
  }
  if (connectionIds.length === 0) return { delivered: 0, gone: 0, failed: 0 };

  let client: ApiGatewayManagementApiClient;
  try {
    client = deps.managementApi ?? managementApiClient(deps.config);
  } catch (error) {
    log.error("publishTaskUpdate: no management API client", { taskId: task.id, error: error as Error });
    return { delivered: 0, gone: 0, failed: connectionIds.length };
  }

  let delivered = 0;
  let gone = 0;
  let failed = 0;
  await forEachWithConcurrency(connectionIds, PUBLISH_CONCURRENCY, async (connectionId) => {
    const outcome = await deliver(client, connectionId, message, { log });
    if (outcome === "delivered") delivered++;
    else if (outcome === "failed") failed++;
    else {
      gone++;
      try {
        await removeConnection(deps.redis, connectionId, { alsoTaskIds: [task.id] });
      } catch (error) {
        // Left for the record's TTL or the next push to clean up.
        log.warn("publishTaskUpdate: removing a gone connection failed", {
          connectionId,
          error: error as Error,
        });
      }
    }
  });
  log.debug("task update published", { taskId: task.id, version: task.version, delivered, gone, failed });
  return { delivered, gone, failed };
}
