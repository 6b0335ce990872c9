/**
 * Ferry's rate limiter: decides one or several token-bucket policies at once with one Lua script
 * in one round trip (see script.ts), within a fixed time budget.
 *
 * Redis is any client that can EVAL/EVALSHA (the @upstash/redis client in production, an ioredis
 * adapter in tests and benchmarks). When Redis is slow, down or erroring the decision is made
 * without it, within the budget, as each policy declares (fail open or closed); the script is
 * never sent twice (use a client with retries off: see redis-client.ts), and every fallback is
 * counted and logged.
 */
import { logger as sharedLogger } from "#shared/logger.ts";
import { DeniedCache } from "./denied-cache.ts";
import { bucketKey, RATE_LIMIT_KEY_PREFIX } from "./keys.ts";
import { type FailureMode, intervalMicros, type RateLimitPolicy } from "./policies.ts";
import { DELETE_KEYS, GCRA, type LuaScript, type ScriptVariants } from "./script.ts";

export * from "./limiter-types.ts";

import {
  DEFAULT_BUDGET_MS,
  DEFAULT_CLOCK_SLACK_MS,
  DEFAULT_FIRST_CALL_BUDGET_MS,
  type Decision,
  type FallbackLogger,
  type LimitRequest,
  newMetrics,
  type PolicyState,
  type RateLimiterOptions,
  RateLimiterUnavailableError,
  type RateLimitMetrics,
  type ScriptClient,
} from "./limiter-types.ts";

interface Bucket {
  readonly request: LimitRequest;
  readonly key: string;
  readonly cost: number;
  readonly intervalUs: number;
  readonly tauUs: number;
}

const ceilMs = (us: number) => Math.max(0, Math.ceil(us / 1000));

function stateOf(bucket: Bucket, dUs: number, admits: boolean): PolicyState {
  const { intervalUs, tauUs, cost, request } = bucket;
  const remaining = Math.min(request.policy.capacity, Math.max(0, Math.floor((tauUs - dUs) / intervalUs)));
  const units = Math.max(1, cost);
  const nextAdmitMs = units > request.policy.capacity ? null : ceilMs(dUs + units * intervalUs - tauUs);
  // A denial always waits at least 1 ms: retrying at the same millisecond cannot succeed.
  const retryAfterMs = admits ? 0 : nextAdmitMs === null ? null : Math.max(1, nextAdmitMs);
  return {
    policy: request.policy,
    subject: request.subject,
    cost,
    remaining,
    admits,
    retryAfterMs,
    nextAdmitMs,
    fullInMs: ceilMs(dUs),
  };
}

/** The longest wait among the denying states; null if any of them can never admit. */
function overallRetry(states: readonly PolicyState[]): number | null {
  let longest = 0;
  for (const s of states) {
    if (s.admits) continue;
    if (s.retryAfterMs === null) return null;
    longest = Math.max(longest, s.retryAfterMs);
  }
  return longest;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isNoScript = (error: unknown) => /noscript/i.test(messageOf(error));
/** Redis refused the key-locking shebang (7.x: unknown flag; 6.x: no shebang at all): nothing ran. */
const isShebangRefused = (error: unknown) => /shebang|unexpected flag|near '#'/i.test(messageOf(error));

export class RateLimiter {
  readonly metrics: RateLimitMetrics;

  readonly #redis: ScriptClient;
  readonly #clock: () => number;
  readonly #budgetMs: number;
  readonly #firstCallBudgetMs: number;
  #answered = false;
  readonly #slackMs: number;
  readonly #prefix: string;
  readonly #cache: DeniedCache | undefined;
  readonly #logger: FallbackLogger;
  /** Whether to send Upstash's key-locking form of the scripts (until Redis refuses it). */
  #keyLocking = true;

  constructor(options: RateLimiterOptions) {
    this.#redis = options.redis;
    this.#clock = options.clock ?? Date.now;
    this.#budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.#firstCallBudgetMs = Math.max(
      this.#budgetMs,
      options.firstCallBudgetMs ?? DEFAULT_FIRST_CALL_BUDGET_MS,
    );
    this.#slackMs = options.clockSlackMs ?? DEFAULT_CLOCK_SLACK_MS;
    this.#prefix = options.keyPrefix ?? RATE_LIMIT_KEY_PREFIX;
    this.#cache = options.deniedCache === false ? undefined : (options.deniedCache ?? new DeniedCache());
    this.#logger = options.logger ?? sharedLogger;
    this.metrics = options.metrics ?? newMetrics();
  }

  keyFor(policy: string, subject: string): string {
    return bucketKey(this.#prefix, policy, subject);
  }

  /**
   * Consumes each request's cost from its policy's bucket if every policy admits it, else
   * consumes nothing. Never throws for Redis trouble: it falls back as the policies declare.
   */
  async limit(requests: readonly LimitRequest[]): Promise<Decision> {
    const buckets = this.#buckets(requests, (r) => r.cost ?? 1);
    for (const b of buckets) {
      if (!Number.isInteger(b.cost) || b.cost < 1)
        throw new RangeError(`cost must be a positive integer: ${b.cost}`);
    }
    this.metrics.decisions++;
    const now = Math.floor(this.#clock());

    const cached = this.#fromDeniedCache(buckets, now);
    if (cached) {
      this.metrics.deniedCacheHits++;
      return cached;
    }

    let reply: number[];
    try {
      reply = await this.#decide(buckets, now);
    } catch (error) {
      return this.#fallback(buckets, error);
    }
    this.metrics.redisDecisions++;
    const decision = this.#decisionFrom(buckets, reply);
    for (const [i, state] of decision.states.entries()) {
      const bucket = buckets[i] as Bucket;
      if (state.admits) this.#cache?.forget(bucket.key);
      else if (state.retryAfterMs !== null) {
        this.#cache?.remember(
          bucket.key,
          now,
          reply[i + 1] as number,
          bucket.cost,
          bucket.intervalUs,
          bucket.tauUs,
        );
      }
    }
    return decision;
  }

  /** The buckets' state with refill applied, consuming nothing. Throws if Redis cannot answer. */
  async peek(requests: readonly Omit<LimitRequest, "cost">[]): Promise<readonly PolicyState[]> {
    const buckets = this.#buckets(requests, () => 0);
    const reply = await this.#decide(buckets, Math.floor(this.#clock()));
    return this.#decisionFrom(buckets, reply).states;
  }

  /** Gives units back (a request that turned out not to count); the bucket never exceeds capacity. */
  async refund(request: LimitRequest & { readonly units: number }): Promise<PolicyState> {
    if (!Number.isInteger(request.units) || request.units < 1) {
      throw new RangeError(`units must be a positive integer: ${request.units}`);
    }
    const buckets = this.#buckets([request], () => -request.units);
    const reply = await this.#decide(buckets, Math.floor(this.#clock()));
    const bucket = buckets[0] as Bucket;
    this.#cache?.forget(bucket.key);
    return stateOf({ ...bucket, cost: 0 }, reply[1] as number, true);
  }

  /** Deletes exactly this subject's buckets for the given policies. Returns how many existed. */
  async reset(subject: string, policies: readonly Pick<RateLimitPolicy, "name">[]): Promise<number> {
    if (policies.length === 0) return 0;
    const keys = policies.map((p) => this.keyFor(p.name, subject));
    for (const key of keys) this.#cache?.forget(key);
    const deleted = await this.#withBudget(() => this.#run(DELETE_KEYS, keys, []));
    return Number(deleted);
  }

  #buckets(requests: readonly Omit<LimitRequest, "cost">[], cost: (r: LimitRequest) => number): Bucket[] {
    if (requests.length === 0) throw new RangeError("at least one policy is required");
    return requests.map((request) => {
      const intervalUs = intervalMicros(request.policy);
      return {
        request,
        key: this.keyFor(request.policy.name, request.subject),
        cost: cost(request),
        intervalUs,
        tauUs: request.policy.capacity * intervalUs,
      };
    });
  }

  #fromDeniedCache(buckets: readonly Bucket[], now: number): Decision | undefined {
    if (!this.#cache) return undefined;
    const states: PolicyState[] = [];
    for (const b of buckets) {
      const dUs = this.#cache.deniedFor(b.key, b.cost, now);
      if (dUs !== undefined) states.push(stateOf(b, dUs, false));
    }
    if (states.length === 0) return undefined;
    return { allowed: false, retryAfterMs: overallRetry(states), source: "denied-cache", states };
  }

  async #decide(buckets: readonly Bucket[], now: number): Promise<number[]> {
    const keys = buckets.map((b) => b.key);
    const args = [String(now), String(this.#slackMs)];
    for (const b of buckets)
      args.push(String(b.intervalUs), String(b.request.policy.capacity), String(b.cost));
    const reply = await this.#withBudget(() => this.#run(GCRA, keys, args));
    if (
      !Array.isArray(reply) ||
      reply.length !== buckets.length + 1 ||
      !reply.every((v) => typeof v === "number" && Number.isFinite(v))
    ) {
      throw new RateLimiterUnavailableError("error", `unexpected script reply: ${JSON.stringify(reply)}`);
    }
    return reply as number[];
  }

  /**
   * Runs the key-locking form of a script, or the plain one once Redis has refused the flag.
   * Neither retry can run a script twice: both errors are raised before a script runs.
   */
  async #run(script: ScriptVariants, keys: string[], args: string[]): Promise<unknown> {
    if (!this.#keyLocking) return this.#evalsha(script.plain, keys, args);
    try {
      return await this.#evalsha(script.keyLocking, keys, args);
    } catch (error) {
      if (!isShebangRefused(error)) throw error;
      this.#keyLocking = false;
      return this.#evalsha(script.plain, keys, args);
    }
  }

  /** EVALSHA, then EVAL only when Redis says it does not know the script (so it did not run). */
  async #evalsha(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(script.sha, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await this.#redis.eval(script.source, keys, args);
    }
  }

  /** Resolves or rejects within the budget, whatever the client does. */
  async #withBudget<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const budgetMs = this.#answered ? this.#budgetMs : this.#firstCallBudgetMs;
    const pending = call();
    // A call answered after the budget is ignored; its rejection must not go unhandled.
    pending.catch(() => undefined);
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new RateLimiterUnavailableError("timeout", `Redis did not answer within ${budgetMs} ms`)),
        budgetMs,
      );
    });
    try {
      const result = await Promise.race([pending, expired]);
      this.#answered = true;
      return result;
    } catch (error) {
      if (error instanceof RateLimiterUnavailableError) throw error;
      // The client's own per-request abort (AbortSignal.timeout) is the same budget running out.
      const aborted =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const message = error instanceof Error ? error.message : String(error);
      throw new RateLimiterUnavailableError(aborted ? "timeout" : "error", message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  #decisionFrom(buckets: readonly Bucket[], reply: readonly number[]): Decision {
    const allowed = reply[0] === 1;
    const states = buckets.map((b, i) => {
      const dUs = reply[i + 1] as number;
      return stateOf(b, dUs, allowed || b.cost <= 0 || dUs + b.cost * b.intervalUs <= b.tauUs);
    });
    return { allowed, retryAfterMs: allowed ? 0 : overallRetry(states), source: "redis", states };
  }

  #fallback(buckets: readonly Bucket[], error: unknown): Decision {
    const reason = error instanceof RateLimiterUnavailableError ? error.reason : "error";
    const message = error instanceof Error ? error.message : String(error);
    const mode: FailureMode = buckets.some((b) => b.request.policy.onRedisFailure === "closed")
      ? "closed"
      : "open";
    this.metrics.fallbacks++;
    if (reason === "timeout") this.metrics.timeouts++;
    else this.metrics.errors++;
    if (mode === "open") this.metrics.fallbacksOpen++;
    else this.metrics.fallbacksClosed++;
    this.#logger.warn("rate limit decided without Redis", {
      reason,
      mode,
      policies: buckets.map((b) => `${b.request.policy.name}:${b.request.policy.onRedisFailure}`),
      error: message,
    });
    return {
      allowed: mode === "open",
      retryAfterMs: mode === "open" ? 0 : 1000,
      source: "fallback",
      states: [],
      failure: { reason, message, mode },
    };
  }
}

export const createRateLimiter = (options: RateLimiterOptions) => new RateLimiter(options);
