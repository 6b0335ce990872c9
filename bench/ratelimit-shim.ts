/**
 * The clients the two limiters use in the benchmark, each counting its HTTP requests (the HTTP
 * req/decision column): Ferry's on its production client (shared/ratelimit/redis-client.ts),
 * @upstash/ratelimit on @upstash/redis, its peer dependency, set up as that production client
 * is (no retries, a fresh signal per request, auto-pipelining, no deserialization). The peer's
 * requester also keeps the scripts it sees go by (its token-bucket script, for the script-cost
 * table). Nothing is rewritten: the local proxy runs both libraries' `#!lua
 * flags=allow-key-locking` scripts as Upstash does.
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";
import type { RedisClient } from "#shared/redis/client.ts";

export interface Counters {
  http: number;
}

/** Script bodies sent with EVAL, as the client sent them. */
export const seenScripts = new Set<string>();

function remember(command: unknown): void {
  if (
    Array.isArray(command) &&
    String(command[0]).toLowerCase() === "eval" &&
    typeof command[1] === "string"
  ) {
    seenScripts.add(command[1]);
  }
}

interface HttpRequester {
  request(req: { path?: string[]; body?: unknown }): Promise<unknown>;
}

export interface BenchClients {
  readonly ferry: RedisClient;
  readonly peer: UpstashRedis;
}

/** Both limiters' clients, counting their HTTP requests into the same counters. */
export function instrumentedClients(
  url: string,
  token: string,
  counters: Counters,
  budgetMs = 10_000,
): BenchClients {
  const counting: typeof fetch = (input, init) => {
    counters.http++;
    return fetch(input, init);
  };
  const ferry = createRateLimitRedis({ url, token, budgetMs, fetch: counting });
  const peer = new UpstashRedis({
    url,
    token,
    retry: { retries: 0, backoff: () => 0 },
    signal: () => AbortSignal.timeout(budgetMs),
    automaticDeserialization: false,
    enableTelemetry: false,
  });
  const http = (peer as unknown as { client: HttpRequester }).client;
  const send = http.request.bind(http);
  http.request = (req) => {
    counters.http++;
    if (req.path?.[0] === "pipeline" || req.path?.[0] === "multi-exec") {
      for (const c of req.body as unknown[]) remember(c);
    } else remember(req.body);
    return send(req);
  };
  return { ferry, peer };
}
