/**
 * API keys: random secrets shown once; Redis stores only their SHA-256 with a name and scopes.
 * Lookups hash the presented key and read one record: no secret ever sits in Redis.
 */
import { createHash, randomBytes } from "node:crypto";
import * as z from "zod";
import { SCOPES, type Scope } from "#shared/app/types.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { hgetallRecord } from "#shared/redis/hash.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import type { Principal } from "./principal.ts";

const KEY_PREFIX = "fry_";

const storedKey = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
});
export type StoredApiKey = z.infer<typeof storedKey>;

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

/** The principal behind a presented secret, or undefined if no such key exists. */
export async function authenticateApiKey(redis: RedisClient, secret: string): Promise<Principal | undefined> {
  const key = await findByHash(redis, hashApiKey(secret));
  return key ? { keyId: key.keyId, name: key.name, scopes: key.scopes } : undefined;
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
