/**
 * @upstash/ratelimit's scripts start with `#!lua flags=allow-key-locking`, an Upstash-only flag
 * open-source Redis rejects. The local proxy does not rewrite it, so this file does, in the
 * requester both limiters share: the shebang line is dropped from EVAL and the library's EVALSHA
 * hash is mapped to the hash of the script Redis actually loaded. Ferry's script has no shebang,
 * so the shim never touches it; both pay the same wrapper cost.
 *
 * The shim also counts HTTP requests, for the HTTP req/decision column.
 */
import { createHash } from "node:crypto";
import type { Redis as UpstashRedis } from "@upstash/redis";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";

export interface Counters {
  http: number;
}

// ---- the requester shim: counts HTTP requests, rewrites the Upstash-only shebang -------------

const SHEBANG = /^#!lua[^\n]*\n/;
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** Scripts the shim rewrote, by the hash Redis knows them by (for the direct script measurement). */
export const rewrittenScripts = new Map<string, string>();

function rewriteCommand(command: unknown, shaMap: Map<string, string>): unknown {
  if (!Array.isArray(command) || typeof command[0] !== "string") return command;
  const name = command[0].toLowerCase();
  if (name === "eval" && typeof command[1] === "string" && SHEBANG.test(command[1])) {
    const stripped = command[1].replace(SHEBANG, "");
    shaMap.set(sha1(command[1]), sha1(stripped));
    rewrittenScripts.set(sha1(stripped), stripped);
    return [command[0], stripped, ...command.slice(2)];
  }
  if (name === "evalsha" && typeof command[1] === "string" && shaMap.has(command[1])) {
    return [command[0], shaMap.get(command[1]), ...command.slice(2)];
  }
  return command;
}

interface HttpRequester {
  request(req: { path?: string[]; body?: unknown }): Promise<unknown>;
}

/** The production rate-limit client, with the shim patched into its HTTP requester. */
export function instrumentedClient(url: string, token: string, counters: Counters): UpstashRedis {
  const redis = createRateLimitRedis({ url, token, budgetMs: 10_000 });
  const http = (redis as unknown as { client: HttpRequester }).client;
  const send = http.request.bind(http);
  const shaMap = new Map<string, string>();
  http.request = (req) => {
    counters.http++;
    const body =
      req.path?.[0] === "pipeline" || req.path?.[0] === "multi-exec"
        ? (req.body as unknown[]).map((c) => rewriteCommand(c, shaMap))
        : rewriteCommand(req.body, shaMap);
    return send({ ...req, body });
  };
  return redis;
}
