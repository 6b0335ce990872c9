/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): delay = random(0, min(cap, base × 2^(attempt-1))). Full jitter spreads a throttling
 * storm's retries instead of re-synchronising them.
 */
export function fullJitterDelaySeconds(
  attempt: number,
  baseSeconds: number,
  capSeconds: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.min(capSeconds, Math.round(random() * ceiling));
}
