/**
 * Idempotency-Key handling for a POST handler: claim the key, run once, store the response,
 * replay it with `Idempotent-Replayed: true`. An error releases the claim so the client's retry
 * can run; a crash leaves a claim that expires after IN_FLIGHT_TTL_SECONDS.
 */

import { fingerprint } from "#shared/idempotency/fingerprint.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  releaseIdempotencyKey,
} from "#shared/idempotency/store.ts";
import { logger } from "#shared/logger.ts";
import type { FerryRequestState } from "./context.ts";
import { badRequest, conflict, unprocessable } from "./errors.ts";
import type { HttpResult } from "./handler.ts";

export async function withIdempotency(
  ferry: FerryRequestState,
  idempotencyKey: string | undefined,
  requestBody: unknown,
  run: () => Promise<HttpResult>,
): Promise<HttpResult> {
  if (idempotencyKey === undefined) return run();
  if (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw badRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
  }
  const print = fingerprint(requestBody);
  const scope = ferry.principal?.keyId ?? "anonymous";
  // A Redis failure here is a 503 by the error table (error-table.ts): nothing was claimed.
  const claim = await claimIdempotencyKey(ferry.redis, scope, idempotencyKey, print);
  switch (claim.kind) {
    case "mismatch":
      throw unprocessable(
        "idempotency-key-reused",
        "This Idempotency-Key was used with a different request body. Use a new key for a new request.",
      );
    case "in_flight":
      throw conflict(
        "idempotency-key-in-flight",
        "A request with this Idempotency-Key is still being processed. Retry shortly.",
      );
    case "replay":
      return {
        status: claim.response.status,
        body: claim.response.body,
        headers: { ...claim.response.headers, "idempotent-replayed": "true" },
      };
    case "claimed":
      break;
  }
  let result: HttpResult;
  try {
    result = await run();
  } catch (error) {
    // Nothing was accepted (validation runs before this; a failed enqueue wrote nothing), so
    // the claim is dropped and a retry with the same key runs afresh.
    await releaseIdempotencyKey(ferry.redis, claim.key).catch((e: unknown) =>
      logger.warn("idempotency release failed; the claim expires on its own", e as Error),
    );
    throw error;
  }
  await complete(ferry, claim.key, print, result);
  return result;
}

async function complete(
  ferry: FerryRequestState,
  key: string,
  print: string,
  outcome: HttpResult,
): Promise<void> {
  try {
    await completeIdempotencyKey(ferry.redis, key, print, {
      status: outcome.status,
      body: outcome.body,
      ...(outcome.headers ? { headers: outcome.headers } : {}),
    });
  } catch (error) {
    // The work is done; losing the replay record only means a retry with this key runs again
    // after the in-flight claim expires. Log it and answer normally.
    logger.warn("idempotency completion not stored", error as Error);
  }
}
