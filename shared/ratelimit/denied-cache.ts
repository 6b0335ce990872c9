/**
 * Per-container memory of buckets Redis just reported as too empty, so a warm container answers
 * a client that keeps hammering while denied without a Redis round trip. An entry holds the
 * bucket's theoretical arrival time (in this container's clock) and is only consulted for
 * consuming requests. It denies only what Redis would deny too (other containers only consume
 * more; a refund or reset elsewhere is the exception, and lasts at most the retry-after), and a
 * cheaper request it cannot rule out still goes to Redis. An entry is dropped once the retry-after
 * of the request that was denied has passed. Bounded: the oldest entry goes when it is full.
 */

interface Entry {
  /** Theoretical arrival time, µs in the caller's clock. */
  readonly tatUs: number;
  readonly intervalUs: number;
  readonly tauUs: number;
  /** The cost Redis denied: the entry lives until that cost would be admitted. */
  readonly deniedCost: number;
}

export class DeniedCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Remembers a bucket that just denied `cost`: `dUs` is its TAT − now in µs, as Redis returned it. */
  remember(key: string, nowMs: number, dUs: number, cost: number, intervalUs: number, tauUs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { tatUs: nowMs * 1000 + dUs, intervalUs, tauUs, deniedCost: cost });
  }

  /**
   * If the remembered bucket still denies `cost` units at `nowMs`, its TAT − now in µs (for
   * retry-after and headers); otherwise undefined (Redis decides). Expired entries are dropped,
   * and so is an entry remembered under other parameters (the policy changed: Redis decides).
   */
  deniedFor(key: string, cost: number, nowMs: number, intervalUs: number, tauUs: number): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.intervalUs !== intervalUs || entry.tauUs !== tauUs) {
      this.#entries.delete(key);
      return undefined;
    }
    const dUs = Math.max(0, entry.tatUs - nowMs * 1000);
    if (dUs + entry.deniedCost * entry.intervalUs <= entry.tauUs) {
      this.#entries.delete(key);
      return undefined;
    }
    return dUs + cost * entry.intervalUs > entry.tauUs ? dUs : undefined;
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
