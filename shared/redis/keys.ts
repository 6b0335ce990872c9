/**
 * Every Redis key Ferry writes, in one place, so prefixes never collide and no caller builds a
 * key pattern from user input (ids are embedded verbatim; nothing is ever matched with a glob).
 */
export const PREFIX = "ferry:";

export const redisKeys = {
  apiKeyByHash: (sha256Hex: string) => `${PREFIX}apikey:${sha256Hex}`,
  /** Hash: keyId → sha256 of the secret, for list and revoke. */
  apiKeyIndex: () => `${PREFIX}apikeys`,
} as const;
