import type { Scope } from "#shared/app/types.ts";

/** The caller behind an API key. `keyId` is stable and non-secret: rate limits and ownership use it. */
export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}
