/** One local runtime per test file, plus what realtime tests need from it. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { type FunctionConfig, functionConfig } from "#shared/app/function-config.ts";
import type { Scope } from "#shared/app/manifest.ts";
import { realtime } from "#shared/app/realtime.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { newQueuedTask, type StoredTask, saveQueuedTask } from "#shared/tasks/store.ts";
import { assertNoDenials, GENEROUS_RATE_LIMITS } from "#test/support/runtime.ts";
import { redisOf } from "#test/support/upstash.ts";

export interface RealtimeHarness {
  readonly runtime: LocalRuntime;
  /** The same Redis the handlers use, through the same kind of client. */
  readonly redis: RedisClient;
  /** The configuration the handlers see (WS_CALLBACK_URL points at the local @connections). */
  readonly config: FunctionConfig<typeof realtime.functions.wsMessage>;
  /** Stops the runtime, failing on any call local IAM refused. */
  stop(): Promise<void>;
}

export async function startHarness(): Promise<RealtimeHarness> {
  const runtime = await startLocalRuntime({
    port: 0,
    redisUrl: inject("redisUrl"),
    quiet: true,
    stateFile: false,
    env: { RATE_LIMITS: GENEROUS_RATE_LIMITS },
  });
  const redis = redisOf(runtime, 5000);
  return {
    runtime,
    stop: () => runtime.stop().then(() => assertNoDenials(runtime)),
    redis,
    config: functionConfig(realtime.functions.wsMessage, runtime.environmentOf("wsMessage")),
  };
}

export interface TestKey {
  readonly secret: string;
  readonly keyId: string;
}

export async function newKey(
  redis: RedisClient,
  scopes: readonly Scope[] = ["realtime:connect"],
): Promise<TestKey> {
  const { secret, key } = await createApiKey(redis, { name: `realtime-test-${randomUUID()}`, scopes });
  return { secret, keyId: key.keyId };
}

export async function newTask(redis: RedisClient, ownerKeyId: string): Promise<StoredTask> {
  const task = newQueuedTask(`tsk_${randomUUID()}`, ownerKeyId, new Date());
  await saveQueuedTask(redis, task);
  return task;
}

export interface TicketResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { ticket: string; url: string; expiresInSeconds: number } & Record<string, unknown>;
}

export async function requestTicket(runtime: LocalRuntime, secret?: string): Promise<TicketResponse> {
  const res = await fetch(`${runtime.url}/v1/realtime/tickets`, {
    method: "POST",
    headers: secret ? { authorization: `Bearer ${secret}` } : {},
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as TicketResponse["body"] };
}

/** A ticket URL for `key`, through the public route. */
export async function ticketUrl(runtime: LocalRuntime, key: TestKey): Promise<string> {
  const res = await requestTicket(runtime, key.secret);
  if (res.status !== 201) throw new Error(`ticket request failed with ${res.status}`);
  return res.body.url;
}
