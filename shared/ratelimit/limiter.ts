/**
 * Ferry's rate limiter: decides one or several token-bucket policies at once with one Lua script
 * in one round trip (see script.ts), optionally fused with the API-key lookup (AUTH_AND_LIMIT),
 * so an authenticated request needs one round trip for both.
 *
 * Redis is any client that can EVAL/EVALSHA (Ferry's Upstash client in production, an ioredis
 * adapter in tests). Ordinary latency is waited for (the budget is sized for a database some
 * distance away); a call that exceeds the budget or errors is an outage, and the per-container
 * breaker (breaker.ts) then decides without Redis, at once, as each policy declares (fail open or
 * closed), until a probe succeeds. The script is never sent twice (use a client with retries off:
 * see redis-client.ts); every fallback is counted, and each outage is logged when it is found.
 */
import { logger as sharedLogger } from "#shared/logger.ts";
import type { HashFieldsRequest } from "#shared/redis/hash-prefetch.ts";
import { RedisBreaker } from "./breaker.ts";
import { DeniedCache } from "./denied-cache.ts";
import { bucketKey, RATE_LIMIT_KEY_PREFIX } from "./keys.ts";
import { type FailureMode, intervalMicros, type RateLimitPolicy } from "./policies.ts";
import { type Bucket, overallRetry, stateOf } from "./policy-state.ts";
import {
  AUTH_AND_LIMIT,
  AUTH_LIMIT_AND_PREFETCH,
  DELETE_KEYS,
  GCRA,
  type LuaScript,
  REPLY_FIELDS_PER_POLICY,
} from "./script.ts";
import {
  badReply,
  isInteger,
  MAX_PREFETCH_FIELDS,
  prefetchedValues,
  type Row,
  rowsOf,
} from "./script-reply.ts";

export * from "./limiter-types.ts";

import {
  type AuthenticatedDecision,
  DEFAULT_BREAKER,
  DEFAULT_BUDGET_MS,
  DEFAULT_CLOCK_SLACK_MS,
  type Decision,
  type FallbackLogger,
  type LimitRequest,
  newMetrics,
  type PolicyState,
  type RateLimiterOptions,
  RateLimiterUnavailableError,
  type RateLimitMetrics,
  type RedisFailure,
  type ScriptClient,
} from "./limiter-types.ts";

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isNoScript = (error: unknown) => /noscript/i.test(messageOf(error));

export class RateLimiter {
  readonly metrics: RateLimitMetrics;

  readonly #redis: ScriptClient;
  readonly #clock: () => number;
  readonly #budgetMs: number;
  readonly #firstCallBudgetMs: number;
  #answered = false;
  readonly #breaker: RedisBreaker | undefined;
  readonly #slackMs: number;
  readonly #prefix: string;
  readonly #cache: DeniedCache | undefined;
  readonly #logger: FallbackLogger;

  constructor(options: RateLimiterOptions) {
    this.#redis = options.redis;
    this.#clock = options.clock ?? Date.now;
    this.#budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.#firstCallBudgetMs = Math.max(this.#budgetMs, options.firstCallBudgetMs ?? 2 * this.#budgetMs);
    this.#breaker =
      options.breaker === false ? undefined : new RedisBreaker(options.breaker ?? DEFAULT_BREAKER);
    this.#slackMs = options.clockSlackMs ?? DEFAULT_CLOCK_SLACK_MS;
    this.#prefix = options.keyPrefix ?? RATE_LIMIT_KEY_PREFIX;
    this.#cache = options.deniedCache === false ? undefined : (options.deniedCache ?? new DeniedCache());
    this.#logger = options.logger ?? sharedLogger;
    this.metrics = options.metrics ?? newMetrics();
  }

  keyFor(policy: string, subject: string): string {
    return bucketKey(this.#prefix, policy, subject);
  }

  /** The breaker's state: `open` or `probing` while Redis is considered unreachable. */
  get breakerState(): "closed" | "open" | "probing" {
    return this.#breaker?.state ?? "closed";
  }

  /**
   * Consumes each request's cost from its policy's bucket if every enforced policy admits it,
   * else consumes nothing. Never throws for Redis trouble: it falls back as the policies declare.
   */
  async limit(requests: readonly LimitRequest[]): Promise<Decision> {
    const buckets = this.#consuming(requests);
    this.metrics.decisions++;
    const now = Math.floor(this.#clock());

    const cached = this.#fromDeniedCache(buckets, now);
    if (cached) {
      this.metrics.deniedCacheHits++;
      return cached;
    }

    let rows: Row[];
    try {
      const reply = await this.#call(GCRA, this.#keys(buckets), this.#args(buckets, now, []));
      if (!Array.isArray(reply)) throw badReply(reply);
      rows = rowsOf(reply, 1, buckets.length);
      this.metrics.redisDecisions++;
      const decision = this.#decisionFrom(buckets, reply[0] === 1, rows);
      this.#rememberDenials(buckets, decision, rows, now);
      return decision;
    } catch (error) {
      return this.#fallback(buckets, error, this.#declaredMode(buckets));
    }
  }

  /**
   * Looks up an API key by its record's Redis key and, if it exists and has every required scope,
   * decides `requests` under the key's own limits (the record's `limits`) or the policies', all in
   * one script and one round trip. Never throws for Redis trouble: the key cannot be checked then,
   * which the caller must treat as closed (see AuthenticatedDecision).
   * With `prefetch`, the same script also reads those hash fields, returned (as `prefetched`)
   * only when the key is valid, has the scopes and the decision admitted.
   */
  async authenticateAndLimit(
    recordKey: string,
    requiredScopes: readonly string[],
    requests: readonly LimitRequest[],
    prefetch?: HashFieldsRequest,
  ): Promise<AuthenticatedDecision> {
    const buckets = this.#consuming(requests);
    if (prefetch && prefetch.fields.length > MAX_PREFETCH_FIELDS) {
      throw new RangeError(`at most ${MAX_PREFETCH_FIELDS} fields per prefetch: ${prefetch.fields.length}`);
    }
    this.metrics.decisions++;
    const now = Math.floor(this.#clock());
    const scopeArgs = [String(requiredScopes.length), ...requiredScopes];
    // A route that declares a prefetch always runs the prefetching script, with no fields when it
    // has nothing to read, so its container loads one script, not two.
    const [script, keys, extra] = prefetch
      ? [
          AUTH_LIMIT_AND_PREFETCH,
          [recordKey, prefetch.key, ...this.#keys(buckets)],
          [...scopeArgs, String(prefetch.fields.length), ...prefetch.fields],
        ]
      : [AUTH_AND_LIMIT, [recordKey, ...this.#keys(buckets)], scopeArgs];
    try {
      const reply = await this.#call(script, keys, this.#args(buckets, now, extra));
      if (!Array.isArray(reply) || !isInteger(reply[0])) throw badReply(reply);
      if (reply[0] === 0 && reply.length === 1) return { kind: "unknown-key" };
      const record = reply[1];
      if (typeof record !== "string") throw badReply(reply);
      if (reply[0] === 1 && reply.length === 2) return { kind: "missing-scope", record };
      if (reply[0] !== 2) throw badReply(reply);
      const admitted = reply[2] === 1;
      const decidedLength = 3 + buckets.length * REPLY_FIELDS_PER_POLICY;
      const values = prefetch && admitted ? prefetchedValues(reply, decidedLength, prefetch) : undefined;
      const rows = rowsOf(values ? reply.slice(0, decidedLength) : reply, 3, buckets.length);
      this.metrics.redisDecisions++;
      const decision = this.#decisionFrom(buckets, admitted, rows);
      return {
        kind: "decided",
        record,
        decision,
        ...(prefetch && values ? { prefetched: { key: prefetch.key, fields: prefetch.fields, values } } : {}),
      };
    } catch (error) {
      // Without Redis the key cannot be checked, whatever the policies declare.
      const decision = this.#fallback(buckets, error, "closed");
      return { kind: "unavailable", failure: decision.failure as RedisFailure };
    }
  }

  /** The buckets' state with refill applied, consuming nothing. Throws if Redis cannot answer. */
  async peek(requests: readonly Omit<LimitRequest, "cost">[]): Promise<readonly PolicyState[]> {
    const buckets = this.#buckets(requests, () => 0);
    const now = Math.floor(this.#clock());
    const reply = await this.#call(GCRA, this.#keys(buckets), this.#args(buckets, now, []));
    if (!Array.isArray(reply)) throw badReply(reply);
    return this.#decisionFrom(buckets, true, rowsOf(reply, 1, buckets.length)).states;
  }

  /** Gives units back (a request that turned out not to count); the bucket never exceeds capacity. */
  async refund(request: LimitRequest & { readonly units: number }): Promise<PolicyState> {
    if (!Number.isInteger(request.units) || request.units < 1) {
      throw new RangeError(`units must be a positive integer: ${request.units}`);
    }
    const buckets = this.#buckets([request], () => -request.units);
    const now = Math.floor(this.#clock());
    const reply = await this.#call(GCRA, this.#keys(buckets), this.#args(buckets, now, []));
    if (!Array.isArray(reply)) throw badReply(reply);
    const bucket = buckets[0] as Bucket;
    this.#cache?.forget(bucket.key);
    return stateOf({ ...bucket, cost: 0 }, rowsOf(reply, 1, 1)[0] as Row);
  }

  /** Deletes exactly this subject's buckets for the given policies. Returns how many existed. */
  async reset(subject: string, policies: readonly Pick<RateLimitPolicy, "name">[]): Promise<number> {
    if (policies.length === 0) return 0;
    const keys = policies.map((p) => this.keyFor(p.name, subject));
    for (const key of keys) this.#cache?.forget(key);
    return Number(await this.#call(DELETE_KEYS, keys, []));
  }

  #consuming(requests: readonly LimitRequest[]): Bucket[] {
    const buckets = this.#buckets(requests, (r) => r.cost ?? 1);
    for (const b of buckets) {
      if (!Number.isInteger(b.cost) || b.cost < 0)
        throw new RangeError(`cost must be a whole number ≥ 0: ${b.cost}`);
    }
    return buckets;
  }

  #buckets(requests: readonly Omit<LimitRequest, "cost">[], cost: (r: LimitRequest) => number): Bucket[] {
    return requests.map((request) => ({
      request,
      key: this.keyFor(request.policy.name, request.subject),
      cost: cost(request),
      intervalUs: intervalMicros(request.policy),
      shadow: request.policy.mode === "shadow",
    }));
  }

  #keys(buckets: readonly Bucket[]): string[] {
    return buckets.map((b) => b.key);
  }

  #args(buckets: readonly Bucket[], now: number, extra: readonly string[]): string[] {
    const args = [String(now), String(this.#slackMs), ...extra];
    for (const b of buckets) {
      args.push(
        b.request.policy.name,
        String(b.intervalUs),
        String(b.request.policy.capacity),
        String(b.cost),
        b.shadow ? "0" : "1",
      );
    }
    return args;
  }

  #fromDeniedCache(buckets: readonly Bucket[], now: number): Decision | undefined {
    if (!this.#cache) return undefined;
    const states: PolicyState[] = [];
    for (const b of buckets) {
      if (b.shadow || b.cost === 0) continue;
      const capacity = b.request.policy.capacity;
      const dUs = this.#cache.deniedFor(b.key, b.cost, now, b.intervalUs, capacity * b.intervalUs);
      if (dUs !== undefined)
        states.push(stateOf(b, { dUs, fits: false, intervalUs: b.intervalUs, capacity }));
    }
    if (states.length === 0) return undefined;
    return { allowed: false, retryAfterMs: overallRetry(states), source: "denied-cache", states };
  }

  #rememberDenials(buckets: readonly Bucket[], decision: Decision, rows: readonly Row[], now: number): void {
    if (!this.#cache) return;
    for (const [i, state] of decision.states.entries()) {
      const bucket = buckets[i] as Bucket;
      const row = rows[i] as Row;
      if (state.admits) this.#cache.forget(bucket.key);
      else if (!state.shadow && state.retryAfterMs !== null) {
        this.#cache.remember(
          bucket.key,
          now,
          row.dUs,
          bucket.cost,
          row.intervalUs,
          row.capacity * row.intervalUs,
        );
      }
    }
  }

  /**
   * Sends a script through the breaker and within the budget. EVALSHA first, EVAL only when
   * Redis says it does not know the script (so it did not run): never a replay.
   */
  async #call(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    const admission = this.#breaker?.admit() ?? "call";
    if (admission === "skip") {
      this.metrics.breakerSkips++;
      throw new RateLimiterUnavailableError(
        "breaker-open",
        "Redis was unreachable; waiting for the next probe",
      );
    }
    if (admission === "probe") this.metrics.breakerProbes++;
    try {
      const result = await this.#withBudget(() => this.#evalsha(script, keys, args));
      if (admission === "probe") this.#logger.warn("rate limiter: Redis answers again", {});
      this.#breaker?.succeeded(admission);
      return result;
    } catch (error) {
      const reason = error instanceof RateLimiterUnavailableError ? error.reason : "error";
      if (reason !== "breaker-open" && this.#breaker?.failed(admission, reason)) {
        this.metrics.breakerOpened++;
        this.#logger.warn("rate limiter: Redis unreachable; deciding without it until a probe succeeds", {
          reason,
          error: messageOf(error),
        });
      }
      throw error;
    }
  }

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
      throw new RateLimiterUnavailableError(aborted ? "timeout" : "error", messageOf(error), {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #decisionFrom(buckets: readonly Bucket[], allowed: boolean, rows: readonly Row[]): Decision {
    const states = buckets.map((b, i) => stateOf(b, rows[i] as Row));
    if (allowed) this.metrics.shadowDenials += states.some((s) => s.shadow && !s.admits) ? 1 : 0;
    return { allowed, retryAfterMs: allowed ? 0 : overallRetry(states), source: "redis", states };
  }

  #declaredMode(buckets: readonly Bucket[]): FailureMode {
    return buckets.some((b) => b.request.policy.onRedisFailure === "closed") ? "closed" : "open";
  }

  #fallback(buckets: readonly Bucket[], error: unknown, mode: FailureMode): Decision {
    const reason = error instanceof RateLimiterUnavailableError ? error.reason : "error";
    const message = messageOf(error);
    this.metrics.fallbacks++;
    if (reason === "timeout") this.metrics.timeouts++;
    else if (reason === "error") this.metrics.errors++;
    if (mode === "open") this.metrics.fallbacksOpen++;
    else this.metrics.fallbacksClosed++;
    // An open breaker was logged when it opened; each request it decides is counted, not logged.
    if (reason !== "breaker-open") {
      this.#logger.warn("rate limit decided without Redis", {
        reason,
        mode,
        policies: buckets.map((b) => `${b.request.policy.name}:${b.request.policy.onRedisFailure}`),
        error: message,
      });
    }
    return {
      allowed: mode === "open",
      retryAfterMs: mode === "open" ? 0 : 1000,
      source: "fallback",
      states: [],
      failure: { reason, message, mode },
    };
  }
}
