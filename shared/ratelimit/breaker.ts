/**
 * A small circuit breaker per container in front of the limiter's Redis, so an outage is paid for
 * once instead of on every request: while Redis answers (however slowly, within the budget) every
 * decision goes to Redis; once it is found unreachable, decisions are made at once, without
 * Redis, as the policies declare, until one request, after a cooldown, probes Redis and succeeds.
 *
 *   closed ── a timeout, or `failuresToOpen` errors in a row ──► open
 *   open ── cooldown over: the next request probes (others keep deciding without Redis) ──► probing
 *   probing ── the probe answers ──► closed        probing ── the probe fails ──► open
 *
 * A timeout opens the breaker at once: it already cost a whole budget, and the next request would
 * wait as long. Errors are cheap to detect (a refused connection, a 5xx), so a few in a row are
 * needed: one dropped connection is not an outage. A late answer to a request sent before the
 * breaker opened neither opens nor closes it.
 */

import { countMetric, METRIC } from "#shared/metrics/metrics.ts";

export interface BreakerOptions {
  /** Consecutive errors (not timeouts) that open the breaker. */
  readonly failuresToOpen: number;
  /** How long the breaker stays open before one request probes Redis, in ms. */
  readonly cooldownMs: number;
  /** Monotonic ms; injected by tests. */
  readonly clock?: () => number;
}

export type BreakerState = "closed" | "open" | "probing";

/** What to do with the next call: send it, send it as the probe, or decide without Redis. */
export type Admission = "call" | "probe" | "skip";

export class RedisBreaker {
  readonly #failuresToOpen: number;
  readonly #cooldownMs: number;
  readonly #clock: () => number;
  #state: BreakerState = "closed";
  #errorsInARow = 0;
  #openedAt = 0;
  /** Changes of state, for the metrics and logs. */
  opened = 0;

  constructor(options: BreakerOptions) {
    this.#failuresToOpen = Math.max(1, options.failuresToOpen);
    this.#cooldownMs = Math.max(0, options.cooldownMs);
    this.#clock = options.clock ?? (() => performance.now());
  }

  get state(): BreakerState {
    return this.#state;
  }

  admit(): Admission {
    if (this.#state === "closed") return "call";
    if (this.#state === "open" && this.#clock() - this.#openedAt >= this.#cooldownMs) {
      this.#state = "probing";
      return "probe";
    }
    return "skip";
  }

  /** Redis answered a call admitted as `admission`. */
  succeeded(admission: Admission): void {
    if (admission === "probe" || this.#state === "closed") {
      this.#state = "closed";
      this.#errorsInARow = 0;
    }
  }

  /** A call admitted as `admission` failed; returns true if that opened the breaker. */
  failed(admission: Admission, reason: "timeout" | "error"): boolean {
    if (admission === "probe") return this.#open();
    if (this.#state !== "closed") return false;
    this.#errorsInARow++;
    if (reason === "timeout" || this.#errorsInARow >= this.#failuresToOpen) return this.#open();
    return false;
  }

  #open(): boolean {
    this.#state = "open";
    this.#openedAt = this.#clock();
    this.#errorsInARow = 0;
    this.opened++;
    countMetric(METRIC.rateLimitBreakerOpened);
    return true;
  }
}
