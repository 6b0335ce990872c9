/**
 * An Upstash-REST-compatible HTTP server in front of a real Redis, so Ferry's Upstash client (and
 * `@upstash/redis`, the rate-limit benchmark's peer) runs unchanged offline. No package does this: `@humanwhocodes/upstash-redis-server` has no base64
 * encoding, no `/multi-exec` and skips auth on `/pipeline`, and `ioredis-mock` has no SCRIPT and
 * differs from Redis on Lua nil/false (see ../shared/notes/local-emulators.md beside the repository). So this is a
 * small node:http server over ioredis and a real redis-server.
 *
 * Wire format (what @upstash/redis 1.39 sends and expects):
 * - `POST /` one command as a JSON array → `{result}`, or 400 `{error}` with Redis's own text.
 * - `POST /pipeline` a list of commands → `[{result}|{error}, ...]`, one per command, in order.
 * - `POST /multi-exec` the same inside MULTI/EXEC → the same array, or 400 `{error}` when Redis
 *   discards the whole transaction (EXECABORT).
 * - `Authorization: Bearer <token>`; a missing or wrong token → 401 `{"error":"Unauthorized"}`.
 * - `Upstash-Encoding: base64` → strings in results are base64 (see reply-encoding.ts).
 * - Redis unreachable → 503 `{error}` at once (no queueing, no replay: see redis-runner.ts).
 * - Scripts carrying Upstash's `#!lua flags=allow-key-locking` run as Upstash runs them (the flag
 *   is dropped for open-source Redis; see upstash/script-flags.ts), so the same script runs
 *   locally and in production.
 * The path-style GET API (`/get/key`) is not served: the client never uses it.
 *
 * For tests and benchmarks: `latencyMs` (or FERRY_LOCAL_LATENCY_MS) adds a round-trip delay to
 * every request, half before Redis runs it and half before the answer leaves, the way a database
 * some distance away behaves; `stats()` counts the REST requests and commands served.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Command, RedisCommandError, RedisRunner, RedisUnavailableError } from "./redis-runner.ts";
import { encodeReply, type RawReply, type ResponseEncoding } from "./reply-encoding.ts";
import { BadRequestError, parseCommand, parseCommandList, readBody } from "./request-body.ts";
import { ScriptRewriter } from "./script-flags.ts";

export interface UpstashProxyOptions {
  readonly redisUrl: string;
  readonly token: string;
  /** Defaults to 127.0.0.1: the proxy must never be reachable from the network. */
  readonly host?: string;
  /** Defaults to 0 (a random free port). */
  readonly port?: number;
  /** Fails a command Redis has not answered in time (a hung Redis). Defaults to 10 s. */
  readonly commandTimeoutMs?: number;
  /**
   * Round-trip delay added to every request, in ms (a database that far away). Defaults to
   * FERRY_LOCAL_LATENCY_MS from `environment`, else 0.
   */
  readonly latencyMs?: number;
  /** Where FERRY_LOCAL_LATENCY_MS is read when `latencyMs` is not given; defaults to process.env. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** REST requests and commands the proxy has served since it started. */
export interface UpstashProxyStats {
  /** HTTP requests that reached a command path (`/`, `/pipeline`, `/multi-exec`), authorised or not. */
  readonly requests: number;
  /** Commands in them (a pipeline of 3 counts 3). */
  readonly commands: number;
}

export interface UpstashProxy {
  /** Base URL for `new Redis({ url, token })`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly token: string;
  /** The added round-trip delay in ms; settable while the proxy runs. */
  latencyMs: number;
  stats(): UpstashProxyStats;
  close(): Promise<void>;
}

/** FERRY_LOCAL_LATENCY_MS as a delay in ms (0 when unset); anything but a whole number ≥ 0 throws. */
export function latencyFromEnvironment(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.FERRY_LOCAL_LATENCY_MS;
  if (raw === undefined || raw === "") return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new Error(`FERRY_LOCAL_LATENCY_MS must be a whole number of milliseconds ≥ 0, got ${raw}`);
  }
  return ms;
}

const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** The REST API accepts large values; 10 MB keeps a runaway body from exhausting memory. */
const BODY_LIMIT_BYTES = 10 * 1024 * 1024;

type JsonBody = unknown;

function send(res: ServerResponse, status: number, body: JsonBody): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** Compares digests so the comparison takes the same time whatever the token's length. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  return timingSafeEqual(createHash("sha256").update(match[1].trim()).digest(), expected);
}

function responseEncoding(req: IncomingMessage): ResponseEncoding {
  const header = req.headers["upstash-encoding"];
  return typeof header === "string" && header.toLowerCase() === "base64" ? "base64" : "utf8";
}

interface Served {
  readonly runner: RedisRunner;
  readonly scripts: ScriptRewriter;
  commands: number;
}

/** SCRIPT LOAD of a rewritten script answers the SHA the client computed, as Upstash would. */
function clientReply(scripts: ScriptRewriter, command: Command, reply: RawReply): RawReply {
  const sha = scripts.clientShaFor(command);
  return sha === undefined ? reply : Buffer.from(sha);
}

async function answer(req: IncomingMessage, served: Served, path: string): Promise<[number, JsonBody]> {
  const { runner, scripts } = served;
  const encoding = responseEncoding(req);
  const body = await readBody(req, BODY_LIMIT_BYTES);
  if (path === "/") {
    const command = parseCommand(body);
    served.commands++;
    try {
      const reply = clientReply(scripts, command, await runner.one(scripts.rewrite(command)));
      return [200, { result: encodeReply(reply, encoding) }];
    } catch (error) {
      if (error instanceof RedisCommandError) return [400, { error: error.message }];
      throw error;
    }
  }
  const commands = parseCommandList(body);
  served.commands += commands.length;
  const rewritten = commands.map((c) => scripts.rewrite(c));
  let outcomes: Awaited<ReturnType<RedisRunner["pipeline"]>>;
  try {
    outcomes = path === "/pipeline" ? await runner.pipeline(rewritten) : await runner.transaction(rewritten);
  } catch (error) {
    if (error instanceof RedisCommandError) return [400, { error: error.message }];
    throw error;
  }
  return [
    200,
    outcomes.map((o, i) =>
      "reply" in o
        ? { result: encodeReply(clientReply(scripts, commands[i] as Command, o.reply), encoding) }
        : o,
    ),
  ];
}

const PATHS = new Set(["/", "/pipeline", "/multi-exec"]);

export async function startUpstashProxy(options: UpstashProxyOptions): Promise<UpstashProxy> {
  const host = options.host ?? "127.0.0.1";
  const expectedToken = createHash("sha256").update(options.token).digest();
  const runner = new RedisRunner({
    redisUrl: options.redisUrl,
    commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
  });
  await runner.start();
  const served: Served = { runner, scripts: new ScriptRewriter(), commands: 0 };
  let requests = 0;
  let latencyMs = options.latencyMs ?? latencyFromEnvironment(options.environment ?? process.env);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://proxy").pathname;
    if (PATHS.has(path)) requests++;
    if (!tokenMatches(req.headers.authorization, expectedToken)) {
      req.resume();
      send(res, 401, { error: "Unauthorized" });
      return;
    }
    if (!PATHS.has(path)) {
      req.resume();
      send(res, 404, { error: `ERR ${path} is not served by the local Upstash proxy` });
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      send(res, 405, { error: "ERR only POST is supported by the local Upstash proxy" });
      return;
    }
    // Half the round trip on the way in, half on the way out.
    const inbound = Math.floor(latencyMs / 2);
    const outbound = latencyMs - inbound;
    sleep(inbound)
      .then(() => answer(req, served, path))
      .then(
        async ([status, body]) => {
          await sleep(outbound);
          send(res, status, body);
        },
        async (error: unknown) => {
          await sleep(outbound);
          if (error instanceof BadRequestError) send(res, error.status, { error: error.message });
          else if (error instanceof RedisUnavailableError) send(res, 503, { error: error.message });
          else send(res, 500, { error: `ERR local Upstash proxy failed: ${String(error)}` });
        },
      );
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await runner.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    token: options.token,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latencyMs must be ≥ 0, got ${ms}`);
      latencyMs = ms;
    },
    stats: () => ({ requests, commands: served.commands }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from fetch would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
      await runner.close();
    },
  };
}
