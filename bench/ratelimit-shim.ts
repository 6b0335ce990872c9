/**
 * The requester both limiters share in the benchmark: the production rate-limit client with a
 * counter in its HTTP requester (the HTTP req/decision column), which also keeps the scripts it
 * sees go by (the peer's token-bucket script, for the script-cost table). Nothing is rewritten:
 * the local proxy runs both libraries' `#!lua flags=allow-key-locking` scripts as Upstash does.
 */
import type { Redis as UpstashRedis } from "@upstash/redis";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";

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

/** The production rate-limit client, counting its HTTP requests. */
export function instrumentedClient(
  url: string,
  token: string,
  counters: Counters,
  budgetMs = 10_000,
): UpstashRedis {
  const redis = createRateLimitRedis({ url, token, budgetMs });
  const http = (redis as unknown as { client: HttpRequester }).client;
  const send = http.request.bind(http);
  http.request = (req) => {
    counters.http++;
    if (req.path?.[0] === "pipeline" || req.path?.[0] === "multi-exec") {
      for (const c of req.body as unknown[]) remember(c);
    } else remember(req.body);
    return send(req);
  };
  return redis;
}
