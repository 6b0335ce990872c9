/**
 * How long to wait before retrying a 429 or 503: the server's `Retry-After`, else the largest
 * `t` of its `RateLimit` header (seconds until a request like this one is admitted), else an
 * exponential backoff. Bounded by the caller's cap; the number of retries is bounded elsewhere.
 */
export function retryDelayMs(headers: Headers, attempt: number, capMs: number): number {
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim()))
    return Math.min(Number(retryAfter) * 1000, capMs);
  const rateLimit = headers.get("ratelimit");
  if (rateLimit) {
    const waits = [...rateLimit.matchAll(/;\s*t=(\d+)/g)].map((m) => Number(m[1]));
    if (waits.length > 0) return Math.min(Math.max(...waits) * 1000, capMs);
  }
  return Math.min(250 * 2 ** attempt, capMs);
}

export const retryAfterSeconds = (headers: Headers): number | undefined => {
  const value = headers.get("retry-after");
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
};

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
