/**
 * Rate-limit response headers in the IETF httpapi draft's structured-field form:
 *   RateLimit-Policy: "api";q=100;w=10, "emails";q=100;w=50
 *   RateLimit: "api";r=99;t=0, "emails";r=97;t=0
 * q = capacity (quota units), w = seconds for an empty bucket to refill completely,
 * r = whole units remaining, t = seconds until the quota is restored enough to admit a request
 * like this one again (0 when it would be admitted now; on a 429 it equals Retry-After), always
 * under the policy in force now. A shadow policy carries the boolean parameter `shadow`.
 * Header names are lower-case, as API Gateway and Node send them.
 */
import type { PolicyState } from "./limiter.ts";
import { intervalMicros, type RateLimitPolicy } from "./policies.ts";

/** A structured-field string: quotes and backslashes escaped. */
const sfString = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const seconds = (ms: number) => Math.ceil(ms / 1000);

/** What RateLimit-Policy says of one policy: the terms it was decided under. */
interface PolicyTerms {
  readonly name: string;
  readonly capacity: number;
  readonly intervalUs: number;
  readonly shadow: boolean;
}

const termsOf = (policy: RateLimitPolicy): PolicyTerms => ({
  name: policy.name,
  capacity: policy.capacity,
  intervalUs: intervalMicros(policy),
  shadow: policy.mode === "shadow",
});

const windowOf = (capacity: number, intervalUs: number) =>
  Math.max(1, Math.ceil((capacity * intervalUs) / 1e6));

export function windowSeconds(policy: RateLimitPolicy): number {
  return windowOf(policy.capacity, intervalMicros(policy));
}

// `shadow` is a boolean parameter (an extension the draft lets clients ignore): the policy is
// reported but does not refuse yet.
const policyItem = (t: PolicyTerms) =>
  `${sfString(t.name)};q=${t.capacity};w=${windowOf(t.capacity, t.intervalUs)}${t.shadow ? ";shadow" : ""}`;

export function rateLimitPolicyHeader(policies: readonly RateLimitPolicy[]): string {
  return policies.map((p) => policyItem(termsOf(p))).join(", ");
}

export function rateLimitHeader(states: readonly PolicyState[]): string {
  return states
    .map((s) => {
      // A cost above capacity is never admitted: the most that can ever be restored is a full bucket.
      const t = s.nextAdmitMs === null ? seconds(s.fullInMs) : seconds(s.nextAdmitMs);
      return `${sfString(s.policy.name)};r=${s.remaining};t=${t}`;
    })
    .join(", ");
}

/** Retry-After in whole seconds, rounded up so a client that obeys it is admitted. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, seconds(ms));
}

/**
 * The headers for a response: the policies always (as decided, with an API key's own limits,
 * when the state is known; as configured otherwise), the state when it is known.
 */
export function rateLimitHeaders(
  policies: readonly RateLimitPolicy[],
  states: readonly PolicyState[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (states.length > 0) {
    headers["ratelimit-policy"] = states
      .map((s) =>
        policyItem({ name: s.policy.name, capacity: s.capacity, intervalUs: s.intervalUs, shadow: s.shadow }),
      )
      .join(", ");
    headers.ratelimit = rateLimitHeader(states);
  } else if (policies.length > 0) headers["ratelimit-policy"] = rateLimitPolicyHeader(policies);
  return headers;
}
