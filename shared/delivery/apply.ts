/** Applies one parsed SES event (ses-event.ts) with the apply script; see apply-script.ts. */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { type StoredTask, TASK_TTL_SECONDS } from "#shared/tasks/store.ts";
import { APPLY_DELIVERY_SCRIPT } from "./apply-script.ts";
import { bucketOf } from "./reputation.ts";
import type { DeliveryUpdate } from "./ses-event.ts";

/** SES delivers an event for days at most; the per-message counting record outlives that. */
const COUNTED_TTL_SECONDS = TASK_TTL_SECONDS;

export interface DeliveryOutcome {
  /** The task after the event; undefined when it no longer exists (or was never Ferry's). */
  readonly task: StoredTask | undefined;
  /** True when a recipient's record changed (the version grew): push it. */
  readonly changed: boolean;
  /** What this event counted for the first time. */
  readonly counted: { readonly sent: number; readonly bounced: number; readonly complained: number };
  /** Addresses this event put on the suppression list. */
  readonly suppressed: readonly string[];
}

export async function applyDeliveryUpdate(
  redis: RedisClient,
  update: DeliveryUpdate,
  options: { now: Date; windowSeconds: number },
): Promise<DeliveryOutcome> {
  const nowIso = options.now.toISOString();
  const bucket = bucketOf(options.now.getTime(), options.windowSeconds);
  const payload = {
    destination: update.destination,
    recipients: update.recipients.map((r) => ({
      address: r.address,
      record: r.record,
      ...(r.countAs ? { countAs: r.countAs } : {}),
    })),
    suppress: update.suppress.map((s) => ({
      address: s.address,
      entry: JSON.stringify({
        reason: s.reason,
        source: s.source,
        at: nowIso,
        ...(s.detail ? { detail: s.detail } : {}),
        ...(update.taskId ? { taskId: update.taskId } : {}),
        messageId: update.messageId,
      }),
    })),
  };
  // A task id comes from a tag anyone with SES access could set; only Ferry's own key shape is used.
  const taskKey =
    update.taskId && /^tsk_[A-Za-z0-9_-]{1,100}$/.test(update.taskId)
      ? redisKeys.task(update.taskId)
      : redisKeys.task("-none-");
  const [raw, changed, counts, suppressed] = (await APPLY_DELIVERY_SCRIPT(
    redis,
    [
      taskKey,
      redisKeys.deliveryCounted(update.messageId),
      redisKeys.suppression(),
      redisKeys.reputationBucket(bucket.startMs),
    ],
    [
      JSON.stringify(payload),
      nowIso,
      String(TASK_TTL_SECONDS),
      String(bucket.ttlSeconds),
      String(COUNTED_TTL_SECONDS),
    ],
  )) as [string | null, string, string, string];
  return {
    task: raw ? (JSON.parse(raw) as StoredTask) : undefined,
    changed: changed === "1",
    counted: JSON.parse(counts) as DeliveryOutcome["counted"],
    suppressed: JSON.parse(suppressed) as string[],
  };
}
