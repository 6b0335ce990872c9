/**
 * The Upstash Redis (REST) client. Every call has a time budget (an AbortSignal per request) and
 * automatic retries are OFF: a script or write that reached Redis must never be replayed by the
 * client (a retried rate-limit script would consume twice, a retried compare-and-set could apply
 * twice). Callers decide what a failure means.
 */
import { Redis } from "@upstash/redis";

export type RedisClient = Redis;

export interface RedisClientOptions {
  readonly url: string;
  readonly token: string;
  /** Budget per HTTP request to the REST API, in milliseconds. */
  readonly timeoutMs: number;
}

export function createRedisClient(options: RedisClientOptions): RedisClient {
  return new Redis({
    url: options.url,
    token: options.token,
    // Not `retry: false`: in @upstash/redis 1.39 that still re-sends once on a connection error
    // (measured in test/ratelimit); zero retries with no backoff sends exactly once.
    retry: { retries: 0, backoff: () => 0 },
    // A fresh signal per request: the budget applies to each call, not to the client's lifetime.
    signal: () => AbortSignal.timeout(options.timeoutMs),
    // Values are stored and read as plain strings; domain code owns its (de)serialisation.
    automaticDeserialization: false,
    enableTelemetry: false,
  });
}
