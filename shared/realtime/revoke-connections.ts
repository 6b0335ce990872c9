/**
 * Makes an API key's revocation immediate for WebSocket clients: every connection opened with
 * the key's tickets is forgotten (record, subscriptions: no push can reach it, no subscribe
 * succeeds) and then closed through the management API (DeleteConnection). Run it after the
 * key is deleted: from then on admit-connection.ts refuses the key's tickets, so the set read
 * here cannot grow behind our back.
 *
 * IAM: DeleteConnection is authorized as `{api}/{stage}/DELETE/@connections/{id}`
 * (execute-api:ManageConnections), unlike the POST that pushes use.
 */
import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { revokeApiKey } from "#shared/auth/api-keys.ts";
import { logger } from "#shared/logger.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { forEachWithConcurrency } from "./concurrency.ts";
import { removeConnection, takeKeyConnections } from "./connections.ts";
import { isGoneError } from "./deliver.ts";

const CLOSE_CONCURRENCY = 10;

export interface RevokeDeps {
  readonly redis: RedisClient;
  /** Without one, connections are forgotten (nothing reaches them) but stay open until idle. */
  readonly managementApi?: ApiGatewayManagementApiClient | undefined;
}

export interface ClosedConnections {
  /** Connections that were open and are now closed. */
  readonly closed: number;
  /** Connections already gone (or not closed for want of a management client). */
  readonly notOpen: number;
  /** DeleteConnection calls that failed; those connections are forgotten but may stay open. */
  readonly failed: number;
}

export async function closeKeyConnections(deps: RevokeDeps, keyId: string): Promise<ClosedConnections> {
  const ids = await takeKeyConnections(deps.redis, keyId);
  let closed = 0;
  let notOpen = 0;
  let failed = 0;
  await forEachWithConcurrency(ids, CLOSE_CONCURRENCY, async (connectionId) => {
    // Forgotten first: even if the close below fails, nothing is pushed to it any more.
    await removeConnection(deps.redis, connectionId);
    if (!deps.managementApi) {
      notOpen++;
      return;
    }
    try {
      await deps.managementApi.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      closed++;
    } catch (error) {
      if (isGoneError(error)) notOpen++;
      else {
        failed++;
        logger.warn("DeleteConnection failed", { connectionId, error: error as Error });
      }
    }
  });
  return { closed, notOpen, failed };
}

/**
 * Revokes a key everywhere: it stops authenticating, its unused tickets stop admitting, and its
 * open connections are closed. `revoked` is false when no such key existed (leftover
 * connections are closed all the same).
 */
export async function revokeKeyEverywhere(
  deps: RevokeDeps,
  keyId: string,
): Promise<{ revoked: boolean } & ClosedConnections> {
  const revoked = await revokeApiKey(deps.redis, keyId);
  return { revoked, ...(await closeKeyConnections(deps, keyId)) };
}
