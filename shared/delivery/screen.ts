/**
 * POST /v1/emails against the suppression list, before anything is queued: a suppressed
 * recipient refuses the whole request (422 naming each one, error-table.ts), unless the caller
 * asked for `suppressed: "skip"`, which sends to the others and reports the skipped ones in the
 * 202. A request whose every recipient is suppressed is refused either way: there is nothing to send.
 * No Redis round trip of its own when the API-key step's script read the recipients' entries
 * (suppression-prefetch.ts); else one (HMGET).
 */
import type { EmailContent } from "#shared/email/request.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import type { HashFields } from "#shared/redis/hash-prefetch.ts";
import { normalizeAddress } from "./state.ts";
import { type SuppressionEntry, suppressedAmong } from "./suppression.ts";
import { prefetchedSuppression } from "./suppression-prefetch.ts";

export type SuppressedMode = "reject" | "skip";

export class RecipientsSuppressedError extends Error {
  override readonly name = "RecipientsSuppressedError";
  constructor(
    /** Each suppressed recipient with its position in `to`. */
    readonly suppressed: readonly { readonly index: number; readonly entry: SuppressionEntry }[],
    readonly allSuppressed: boolean,
  ) {
    super(`suppressed recipients: ${suppressed.map((s) => s.entry.address).join(", ")}`);
  }
}

export interface Screened {
  readonly email: EmailContent;
  readonly skipped: readonly SuppressionEntry[];
}

export async function screenRecipients(
  redis: RedisClient,
  email: EmailContent,
  mode: SuppressedMode,
  prefetched?: HashFields,
): Promise<Screened> {
  const entries = prefetchedSuppression(prefetched, email.to) ?? (await suppressedAmong(redis, email.to));
  if (entries.length === 0) return { email, skipped: [] };
  const byAddress = new Map(entries.map((e) => [e.address, e]));
  const suppressed = email.to.flatMap((address, index) => {
    const entry = byAddress.get(normalizeAddress(address));
    return entry ? [{ index, entry }] : [];
  });
  const rest = email.to.filter((address) => !byAddress.has(normalizeAddress(address)));
  if (mode === "reject" || rest.length === 0)
    throw new RecipientsSuppressedError(suppressed, rest.length === 0);
  return { email: { ...email, to: rest }, skipped: suppressed.map((s) => s.entry) };
}
