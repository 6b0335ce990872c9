/**
 * Ferry's suppression list: addresses POST /v1/emails refuses to send to, in one Redis hash
 * (normalized address → entry). A permanent bounce or a complaint adds the address (the events
 * worker, in the same script that records the event); SES refusing an address because it is on
 * SES's own account-level list adds it too, so Ferry's answer agrees with what SES would do
 * (a send SES suppresses still counts against the account's sending quota). Operators list,
 * add and remove entries with `npm run suppression`. Entries do not expire: an address that
 * bounced hard stays dead until a person says otherwise.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { normalizeAddress } from "./state.ts";

export const SUPPRESSION_REASONS = ["bounce", "complaint", "manual"] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Who put it there: an SES event (which kind), SES's own list, or an operator. */
export const SUPPRESSION_SOURCES = [
  "ses-bounce",
  "ses-complaint",
  "ses-suppression-list",
  "operator",
] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

export interface SuppressionEntry {
  readonly address: string;
  readonly reason: SuppressionReason;
  readonly source: SuppressionSource;
  /** When it was added (ISO 8601). */
  readonly at: string;
  /** SES's diagnostic or feedback type, or the operator's note. */
  readonly detail?: string;
  /** The task and SES message whose event added it. */
  readonly taskId?: string;
  readonly messageId?: string;
}

/**
 * Ferry's client runs without automatic deserialization, so HMGET and HGETALL answer Redis's raw
 * arrays (values in field order; field, value, field, value…). Parsed shapes are accepted too,
 * in case the client is ever built with it on.
 */
const parse = (address: string, value: unknown): SuppressionEntry => {
  const entry = (typeof value === "string" ? JSON.parse(value) : value) as Omit<SuppressionEntry, "address">;
  return { ...entry, address };
};

/** The entries among `addresses` (in their order); one round trip. */
export async function suppressedAmong(
  redis: RedisClient,
  addresses: readonly string[],
): Promise<SuppressionEntry[]> {
  if (addresses.length === 0) return [];
  const keys = addresses.map(normalizeAddress);
  return entriesOf(keys, await redis.hmget(redisKeys.suppression(), ...keys));
}

/** The entries among normalized `keys`, from an HMGET of them (an array in their order, or a map). */
export function entriesOf(keys: readonly string[], values: unknown): SuppressionEntry[] {
  if (!values) return [];
  return keys.flatMap((key, i) => {
    const value = Array.isArray(values) ? values[i] : (values as Record<string, unknown>)[key];
    return value !== null && value !== undefined ? [parse(key, value)] : [];
  });
}

export async function listSuppressed(redis: RedisClient): Promise<SuppressionEntry[]> {
  const raw: unknown = (await redis.hgetall(redisKeys.suppression())) ?? {};
  const all: Record<string, unknown> = Array.isArray(raw)
    ? Object.fromEntries(raw.flatMap((v, i) => (i % 2 === 0 ? [[String(v), raw[i + 1]]] : [])))
    : (raw as Record<string, unknown>);
  return Object.entries(all)
    .map(([address, value]) => parse(address, value))
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** Adds or replaces an entry; returns it. */
export async function addSuppressed(
  redis: RedisClient,
  entry: Omit<SuppressionEntry, "at" | "address"> & { readonly address: string; readonly at?: string },
): Promise<SuppressionEntry> {
  const { address, ...rest } = entry;
  const key = normalizeAddress(address);
  const stored = { ...rest, at: entry.at ?? new Date().toISOString() };
  await redis.hset(redisKeys.suppression(), { [key]: JSON.stringify(stored) });
  return { ...stored, address: key };
}

/** Removes an entry; false when the address was not suppressed. */
export async function removeSuppressed(redis: RedisClient, address: string): Promise<boolean> {
  return (await redis.hdel(redisKeys.suppression(), normalizeAddress(address))) > 0;
}
