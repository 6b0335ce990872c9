/**
 * GET /v1/tasks/{taskId}: the task, for the key that created it; 404 for anyone else. A payment's
 * receipt and refund-notice tasks belong to no key: a key that may also read payments sees them.
 */
import { email } from "#shared/app/email.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { PAYMENT_EMAIL_OWNER } from "#shared/payments/receipt-email.ts";
import { taskIdParams } from "#shared/tasks/schema.ts";
import { getTask, publicTask } from "#shared/tasks/store.ts";

export const handler = httpHandler(email.functions.getTask, {
  params: taskIdParams,
  handle: async ({ ferry, params }) => {
    const task = await getTask(ferry.redis, params.taskId);
    const principal = ferry.principal;
    const readable =
      task !== undefined &&
      (task.ownerKeyId === principal?.keyId ||
        (task.ownerKeyId === PAYMENT_EMAIL_OWNER && principal?.scopes.includes("payments:read") === true));
    // Another key's task is indistinguishable from a missing one: ids leak nothing.
    if (!task || !readable) throw notFound(`No task ${params.taskId}.`);
    return { status: 200, body: publicTask(task), headers: { "cache-control": "no-store" } };
  },
});
