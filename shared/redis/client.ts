/**
 * Ferry's Redis client: the commands Ferry sends, over the Upstash REST API (upstash-rest.ts says
 * why this is Ferry's own code and what of the protocol it speaks). Every call has a time budget
 * (a fresh AbortSignal per request) and nothing is ever retried: a script or write that reached
 * Redis must never be replayed by the client. Callers decide what a failure means.
 *
 * Values are plain strings in and out: domain code owns its (de)serialisation. Replies are Redis's
 * own shapes, as @upstash/redis gave them with automaticDeserialization off: strings, integers as
 * numbers, nil as null, arrays (HGETALL's flat field/value list, a script's table) as arrays.
 */
import { createHash } from "node:crypto";
import {
  type Arg,
  type Command,
  decodeResult,
  UpstashError,
  UpstashRest,
  type UpstashRestOptions,
} from "./upstash-rest.ts";

export { UpstashError } from "./upstash-rest.ts";

export interface SetOptions {
  readonly ex?: number;
  readonly px?: number;
  readonly nx?: boolean;
}

export interface ScanOptions {
  readonly match?: string;
  readonly count?: number;
}

/** The command names and argument order @upstash/redis sent, so the wire is the same. */
const encode = {
  get: (key: string) => ["get", key],
  set: (key: string, value: string, options?: SetOptions) => {
    const command: Arg[] = ["set", key, value];
    if (options?.nx) command.push("nx");
    if (options?.ex !== undefined) command.push("ex", options.ex);
    else if (options?.px !== undefined) command.push("px", options.px);
    return command;
  },
  del: (...keys: string[]) => ["del", ...keys],
  exists: (...keys: string[]) => ["exists", ...keys],
  expire: (key: string, seconds: number) => ["expire", key, seconds],
  hget: (key: string, field: string) => ["hget", key, field],
  hgetall: (key: string) => ["hgetall", key],
  hmget: (key: string, ...fields: string[]) => ["hmget", key, ...fields],
  hset: (key: string, fields: Readonly<Record<string, string>>) => [
    "hset",
    key,
    ...Object.entries(fields).flat(),
  ],
  hdel: (key: string, ...fields: string[]) => ["hdel", key, ...fields],
  sadd: (key: string, ...members: string[]) => ["sadd", key, ...members],
  srem: (key: string, ...members: string[]) => ["srem", key, ...members],
  smembers: (key: string) => ["smembers", key],
  ping: () => ["ping"],
  scan: (cursor: string | number, options?: ScanOptions) => {
    const command: Arg[] = ["scan", cursor];
    if (options?.match !== undefined) command.push("match", options.match);
    if (options?.count !== undefined) command.push("count", options.count);
    return command;
  },
  eval: (script: string, keys: string[], args: string[]) => ["eval", script, keys.length, ...keys, ...args],
  evalsha: (sha: string, keys: string[], args: string[]) => ["evalsha", sha, keys.length, ...keys, ...args],
  /** Any other command, as Redis spells it (tests and scripts read TTLs, lists…). */
  command: (command: Command) => command,
} satisfies Record<string, (...args: never[]) => Command>;

type Encoders = typeof encode;

/** MULTI/EXEC or a plain pipeline: commands queued, then sent as one request. */
export type Batch = { [K in keyof Encoders]: (...args: Parameters<Encoders[K]>) => Batch } & {
  /** Every command's result, in order; the first command error (or a refused batch) rejects. */
  exec(): Promise<unknown[]>;
};

/** A Lua script run by its SHA; EVAL only after NOSCRIPT (which ran nothing: never a replay). */
export interface Script {
  readonly sha: string;
  exec(keys: string[], args: string[]): Promise<unknown>;
}

export interface RedisClient {
  get<T extends string = string>(key: string): Promise<T | null>;
  /** "OK", or null when NX found the key. */
  set(key: string, value: string, options?: SetOptions): Promise<"OK" | null>;
  del(...keys: string[]): Promise<number>;
  exists(...keys: string[]): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  hget<T extends string = string>(key: string, field: string): Promise<T | null>;
  /** Redis's flat [field, value, ...] list. */
  hgetall(key: string): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hset(key: string, fields: Readonly<Record<string, string>>): Promise<number>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  sadd(key: string, ...members: string[]): Promise<number>;
  srem(key: string, ...members: string[]): Promise<number>;
  smembers(key: string): Promise<string[]>;
  ping(): Promise<string>;
  /** [next cursor, keys]; "0" when the scan is done. */
  scan(cursor: string | number, options?: ScanOptions): Promise<[string, string[]]>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  command(command: Command): Promise<unknown>;
  multi(): Batch;
  pipeline(): Batch;
  createScript(source: string): Script;
}

const isNoScript = (error: unknown) => error instanceof UpstashError && /noscript/i.test(error.message);

function batch(rest: UpstashRest, path: "/pipeline" | "/multi-exec"): Batch {
  const commands: Command[] = [];
  const queued = Object.fromEntries(
    Object.entries(encode).map(([name, toCommand]) => [
      name,
      (...args: unknown[]) => {
        commands.push((toCommand as (...a: unknown[]) => Command)(...args));
        return queued;
      },
    ]),
  ) as unknown as Batch;
  queued.exec = async () => {
    if (commands.length === 0) throw new Error("Nothing to send: the batch is empty");
    const outcomes = await rest.request(path, commands);
    return outcomes.map(({ result, error }, i) => {
      if (typeof error === "string") {
        throw new UpstashError(`Command ${i + 1} [ ${commands[i]?.[0]} ] failed: ${error}`, 200);
      }
      return decodeResult(result);
    });
  };
  return queued;
}

/** A client over any per-request signal (shared/ratelimit/redis-client.ts gives its own). */
export function createUpstashClient(options: UpstashRestOptions): RedisClient {
  const rest = new UpstashRest(options);
  const client = Object.fromEntries(
    Object.entries(encode).map(([name, toCommand]) => [
      name,
      (...args: unknown[]) => rest.send((toCommand as (...a: unknown[]) => Command)(...args)),
    ]),
  ) as unknown as RedisClient;
  client.multi = () => batch(rest, "/multi-exec");
  client.pipeline = () => batch(rest, "/pipeline");
  client.createScript = (source) => {
    const sha = createHash("sha1").update(source).digest("hex");
    return {
      sha,
      exec: (keys, args) =>
        client.evalsha(sha, keys, args).catch((error: unknown) => {
          if (isNoScript(error)) return client.eval(source, keys, args);
          throw error;
        }),
    };
  };
  return client;
}

export interface RedisClientOptions {
  readonly url: string;
  readonly token: string;
  /** Budget per HTTP request to the REST API, in milliseconds. */
  readonly timeoutMs: number;
}

export function createRedisClient(options: RedisClientOptions): RedisClient {
  return createUpstashClient({
    url: options.url,
    token: options.token,
    // A fresh signal per request: the budget applies to each call, not to the client's lifetime.
    signal: () => AbortSignal.timeout(options.timeoutMs),
  });
}
