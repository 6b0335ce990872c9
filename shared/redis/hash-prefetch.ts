/**
 * Hash fields a script reads on a later step's behalf, in the round trip it makes anyway, so
 * that step needs none of its own (POST /v1/emails: the auth script reads the suppression
 * entries of the request's recipients). The reader of the values checks that they are what it
 * would have asked for (same key, same fields) before trusting them, and asks Redis itself if not.
 */
export interface HashFieldsRequest {
  /** A key from shared/redis/keys.ts; the script receives it in KEYS (Redis Cluster, Upstash). */
  readonly key: string;
  readonly fields: readonly string[];
}

/** What the script read: `values[i]` is `fields[i]`'s value, null where the field is absent. */
export interface HashFields extends HashFieldsRequest {
  readonly values: readonly (string | null)[];
}
