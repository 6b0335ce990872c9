/**
 * Runs REST-API commands on a real Redis through one ioredis connection, in buffer mode so every
 * reply keeps its exact bytes.
 *
 * Connection policy (why these ioredis options): a command that reached Redis must never be sent a
 * second time (a replayed rate-limit script would consume twice), and a caller must learn at once
 * that Redis is gone instead of waiting in a queue. So there is no offline queue (commands fail
 * immediately while disconnected), in-flight commands are failed, not re-sent, when the
 * connection drops (`autoResendUnfulfilledCommands: false`, `maxRetriesPerRequest: 0`), and the
 * connection keeps reconnecting in the background so the proxy heals when Redis returns.
 */
import { Redis, ReplyError } from "ioredis";
import type { RawReply } from "./reply-encoding.ts";

/** Redis answered with an error (or the proxy refuses the command): the text is Redis's own. */
export class RedisCommandError extends Error {
  override readonly name = "RedisCommandError";
}

/** Redis could not be reached: nothing was (or may have been) executed. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

export type Command = readonly [name: string, ...args: string[]];

export type CommandOutcome = { readonly reply: RawReply } | { readonly error: string };

/**
 * Commands that would change the shared connection's state (subscriber mode, selected db,
 * transaction, auth) or block it for every other caller. The REST API is stateless, so none of
 * them has a meaning here; Redis-style errors are returned instead.
 */
const REFUSED = new Set([
  "auth",
  "hello",
  "select",
  "quit",
  "reset",
  "client",
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "sync",
  "psync",
  "replicaof",
  "slaveof",
  "shutdown",
  "blpop",
  "brpop",
  "brpoplpush",
  "blmove",
  "blmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "wait",
  "waitaof",
]);

function refusal(command: Command): string | undefined {
  const name = command[0].toLowerCase();
  const blockingRead =
    (name === "xread" || name === "xreadgroup") && command.some((a) => a.toUpperCase() === "BLOCK");
  if (REFUSED.has(name) || blockingRead) {
    return `ERR command '${command[0]}' is not supported by the local Upstash proxy`;
  }
  return undefined;
}

/** The URL for error messages: a password in it must not reach an HTTP response. */
function withoutPassword(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export interface RedisRunnerOptions {
  readonly redisUrl: string;
  /** Fails a command Redis has not answered within this budget (a hung or paused Redis). */
  readonly commandTimeoutMs: number;
}

export class RedisRunner {
  readonly #redis: Redis;
  readonly #url: string;
  #lastError: Error | undefined;

  constructor(options: RedisRunnerOptions) {
    this.#url = withoutPassword(options.redisUrl);
    this.#redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: 2000,
      // Bounded backoff: a restarted Redis is picked up within half a second.
      retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    });
    // Without a listener ioredis prints every failed reconnect; the error is reported per request.
    this.#redis.on("error", (error: Error) => {
      this.#lastError = error;
    });
    this.#redis.on("ready", () => {
      this.#lastError = undefined;
    });
  }

  /** Resolves once the first connection attempt has ended, whether it succeeded or not. */
  async start(): Promise<void> {
    await this.#redis.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#redis.status === "ready") {
      await this.#redis.quit().catch(() => undefined);
    }
    this.#redis.disconnect();
  }

  /** One command; throws RedisCommandError with Redis's text, or RedisUnavailableError. */
  async one(command: Command): Promise<RawReply> {
    const refused = refusal(command);
    if (refused) throw new RedisCommandError(refused);
    return this.#send(command);
  }

  /**
   * Commands in order, not atomic, each with its own outcome (the REST `/pipeline`). They are all
   * written before any reply is awaited, so Redis runs them back to back, in order.
   */
  async pipeline(commands: readonly Command[]): Promise<CommandOutcome[]> {
    const settled = await Promise.allSettled(
      commands.map((command) => {
        const refused = refusal(command);
        return refused ? Promise.reject(new RedisCommandError(refused)) : this.#send(command);
      }),
    );
    const unavailable = settled.find(
      (s): s is PromiseRejectedResult => s.status === "rejected" && s.reason instanceof RedisUnavailableError,
    );
    if (unavailable) throw unavailable.reason;
    return settled.map((s) =>
      s.status === "fulfilled" ? { reply: s.value } : { error: (s.reason as Error).message },
    );
  }

  /**
   * MULTI ... EXEC (the REST `/multi-exec`). A command Redis refuses to queue discards the whole
   * transaction (EXECABORT, with the refused commands' own errors appended); a command that fails
   * while running leaves an error in its slot, as in Redis.
   */
  async transaction(commands: readonly Command[]): Promise<CommandOutcome[]> {
    const refused = commands.map(refusal).filter((r): r is string => r !== undefined);
    if (refused.length > 0) {
      throw new RedisCommandError(
        `EXECABORT Transaction discarded because of previous errors: ${refused[0]}`,
      );
    }
    const multi = this.#redis.multi();
    for (const [name, ...args] of commands) multi.callBuffer(name.toUpperCase(), ...args);
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
    } catch (error) {
      throw this.#classify(error);
    }
    if (results === null) throw new RedisCommandError("EXECABORT Transaction aborted");
    return results.map(([error, reply]) => (error ? { error: error.message } : { reply: reply as RawReply }));
  }

  async #send([name, ...args]: Command): Promise<RawReply> {
    try {
      // Upper-case on purpose: ioredis rewrites some replies (HGETALL into an object) keyed on the
      // lower-case name, and the REST API must return Redis's own reply shape.
      return (await this.#redis.callBuffer(name.toUpperCase(), ...args)) as RawReply;
    } catch (error) {
      throw this.#classify(error);
    }
  }

  #classify(error: unknown): Error {
    if (error instanceof ReplyError) {
      const reply = error as Error & { previousErrors?: Error[] };
      const first = reply.previousErrors?.[0];
      return new RedisCommandError(first ? `${reply.message} ${first.message}` : reply.message);
    }
    const reason = error instanceof Error ? error.message : String(error);
    const cause = this.#lastError ? ` (${this.#lastError.message})` : "";
    return new RedisUnavailableError(
      `ERR local Upstash proxy: Redis at ${this.#url} is unavailable: ${reason}${cause}`,
    );
  }
}
