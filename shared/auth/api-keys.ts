/**
 * API keys: random secrets shown once; Redis stores only their SHA-256 with a name and scopes.
 * Lookups hash the presented key and read one record: no secret ever sits in Redis.
 */
import { createHash, randomBytes } from "node:crypto";
import * as z from "zod/mini";
import { SCOPES, type Scope } from "#shared/app/types.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { hgetallRecord } from "#shared/redis/hash.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import type { Principal } from "./principal.ts";

const KEY_PREFIX = "fry_";

/** Policies whose subject is the API key, so a key can carry its own limit for them. */
export const PER_KEY_POLICIES = ["api", "emails"] as const;
export type PerKeyPolicy = (typeof PER_KEY_POLICIES)[number];

export const keyLimitSchema = z.strictObject({
  capacity: z.number().check(z.int(), z.positive()),
  refillPerSecond: z.number().check(z.positive()),
});
export type KeyLimit = z.infer<typeof keyLimitSchema>;

/**
 * The stored record. The rate limiter's script (shared/ratelimit/script.ts, AUTH_AND_LIMIT) reads
 * `scopes` and `limits` from this JSON inside Redis: keep those two fields' names and shapes.
 */
const storedKey = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  /** This key's own limits, replacing the policies' capacity and refill for it (dynamic: no deploy). */
  limits: z.optional(z.partialRecord(z.enum(PER_KEY_POLICIES), keyLimitSchema)),
});
export type StoredApiKey = z.infer<typeof storedKey>;

/** A stored record's JSON, or undefined when it is not one (then the key is treated as unknown). */
export function parseStoredKey(raw: string): StoredApiKey | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = storedKey.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export const principalOf = (key: StoredApiKey): Principal => ({
  keyId: key.keyId,
  name: key.name,
  scopes: key.scopes,
});

export const hashApiKey = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex");

/** 32 random bytes, base64url: 256 bits of entropy, safe in headers and shells. */
export const generateApiKeySecret = (): string => KEY_PREFIX + randomBytes(32).toString("base64url");

const newKeyId = (): string => `key_${randomBytes(9).toString("base64url")}`;

export interface PutApiKeyInput {
  readonly secret: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/**
 * Stores a key by the hash of its secret. Idempotent for the same secret: the existing record
 * (and keyId) is kept, with name and scopes updated.
 */
export async function putApiKey(redis: RedisClient, input: PutApiKeyInput): Promise<StoredApiKey> {
  const hash = hashApiKey(input.secret);
  const existing = await findByHash(redis, hash);
  const record: StoredApiKey = {
    keyId: existing?.keyId ?? newKeyId(),
    name: input.name,
    scopes: [...new Set(input.scopes)],
    createdAt: existing?.createdAt ?? new Date().toISOString(),
    ...(existing?.limits ? { limits: existing.limits } : {}),
  };
  const tx = redis.multi();
  tx.set(redisKeys.apiKeyByHash(hash), JSON.stringify(record));
  tx.hset(redisKeys.apiKeyIndex(), { [record.keyId]: hash });
  await tx.exec();
  return record;
}

/** Creates a key with a fresh random secret; the secret is returned once and never stored. */
export async function createApiKey(
  redis: RedisClient,
  input: { name: string; scopes: readonly Scope[] },
): Promise<{ secret: string; key: StoredApiKey }> {
  const secret = generateApiKeySecret();
  return { secret, key: await putApiKey(redis, { ...input, secret }) };
}

async function findByHash(redis: RedisClient, hash: string): Promise<StoredApiKey | undefined> {
  const raw = await redis.get<string>(redisKeys.apiKeyByHash(hash));
  if (raw === null || raw === undefined) return undefined;
  const parsed = storedKey.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}

/**
 * The principal behind a presented secret, or undefined if no such key exists. (HTTP routes look
 * keys up inside the rate limiter's script instead, in the same round trip as the limit.)
 */
export async function authenticateApiKey(redis: RedisClient, secret: string): Promise<Principal | undefined> {
  const key = await findByHash(redis, hashApiKey(secret));
  return key ? principalOf(key) : undefined;
}

/** Replaces the record only if it is still `expected`: a concurrent change is never lost. */
const REPLACE_IF_UNCHANGED = defineScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/**
 * Sets (or, with `limit` null, removes) a key's own limit for one policy. It applies from the
 * key's next request, in every container, with no deploy. Returns the updated record, or
 * undefined when no key has that id.
 */
export async function setApiKeyLimit(
  redis: RedisClient,
  keyId: string,
  policy: PerKeyPolicy,
  limit: KeyLimit | null,
): Promise<StoredApiKey | undefined> {
  const hash = await redis.hget<string>(redisKeys.apiKeyIndex(), keyId);
  if (!hash) return undefined;
  const recordKey = redisKeys.apiKeyByHash(hash);
  for (let attempt = 0; attempt < 5; attempt++) {
    const raw = await redis.get<string>(recordKey);
    const key = raw ? parseStoredKey(raw) : undefined;
    if (!raw || !key) return undefined;
    const { [policy]: _previous, ...others } = key.limits ?? {};
    const limits = limit ? { ...others, [policy]: keyLimitSchema.parse(limit) } : others;
    const { limits: _old, ...rest } = key;
    const updated: StoredApiKey = Object.keys(limits).length > 0 ? { ...rest, limits } : rest;
    if (Number(await REPLACE_IF_UNCHANGED(redis, [recordKey], [raw, JSON.stringify(updated)])) === 1) {
      return updated;
    }
  }
  throw new Error(`the record of ${keyId} kept changing; try again`);
}

export async function listApiKeys(redis: RedisClient): Promise<StoredApiKey[]> {
  const index = await hgetallRecord(redis, redisKeys.apiKeyIndex());
  const keys = await Promise.all(Object.values(index).map((hash) => findByHash(redis, hash)));
  return keys
    .filter((k): k is StoredApiKey => k !== undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Deletes a key by its id. Returns false when no such key exists. */
export async function revokeApiKey(redis: RedisClient, keyId: string): Promise<boolean> {
  const hash = await redis.hget<string>(redisKeys.apiKeyIndex(), keyId);
  if (!hash) return false;
  const tx = redis.multi();
  tx.del(redisKeys.apiKeyByHash(hash));
  tx.hdel(redisKeys.apiKeyIndex(), keyId);
  await tx.exec();
  return true;
}
