/**
 * Rate-limit bucket keys. One exact key per (policy, subject): resetting a subject deletes the
 * keys it names, never a pattern, so a subject such as `a*` cannot reach another subject's keys.
 * The subject sits in a hash tag so a subject's buckets share a cluster slot (one script, several
 * keys). The encoding is injective: the policy name (no `}` or `:`) is the suffix after the last
 * `}:`, and the subject is everything between the first `{` and that suffix.
 */
import { PREFIX } from "#shared/redis/keys.ts";

export const RATE_LIMIT_KEY_PREFIX = `${PREFIX}rl:`;

export function bucketKey(prefix: string, policy: string, subject: string): string {
  return `${prefix}{${subject}}:${policy}`;
}
