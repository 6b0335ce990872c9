/**
 * Every Redis key Ferry writes, in one place, so prefixes never collide and no caller builds a
 * key pattern from user input (ids are embedded verbatim; nothing is ever matched with a glob).
 */
export const PREFIX = "ferry:";

export const redisKeys = {
  apiKeyByHash: (sha256Hex: string) => `${PREFIX}apikey:${sha256Hex}`,
  /** Hash: keyId → sha256 of the secret, for list and revoke. */
  apiKeyIndex: () => `${PREFIX}apikeys`,
  task: (taskId: string) => `${PREFIX}task:${taskId}`,
  /** Sorted set: an owner's task ids scored by creation time (ms), for GET /v1/tasks. */
  tasksByOwner: (keyId: string) => `${PREFIX}tasks-by-owner:${keyId}`,
  /** Sorted set: `provider:paymentId` scored by when Ferry first recorded it, for GET /v1/payments. */
  paymentsIndex: () => `${PREFIX}payments-index`,
  /** Idempotency record for POST /v1/emails, scoped to the calling key. */
  idempotency: (keyId: string, keyHash: string) => `${PREFIX}idem:${keyId}:${keyHash}`,
  /** Send lease and outcome marker per email task (at most one SES call per task). */
  emailSend: (taskId: string) => `${PREFIX}email-send:${taskId}`,
  sesBreaker: () => `${PREFIX}ses-breaker`,
  /** Hash: normalized address → suppression entry JSON (shared/delivery/suppression.ts). */
  suppression: () => `${PREFIX}suppression`,
  /** Hash per SES message: `<address>:<sent|bounce|complaint>` fields already counted once. */
  deliveryCounted: (sesMessageId: string) => `${PREFIX}delivery-counted:${sesMessageId}`,
  /** Hash per time bucket: sent, bounced, complained counts (shared/delivery/reputation.ts). */
  reputationBucket: (bucketStartMs: number) => `${PREFIX}reputation:${bucketStartMs}`,
} as const;
