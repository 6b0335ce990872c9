/** GET /v1/tasks/{taskId}: the task, for the key that created it; 404 for anyone else. */

import * as z from "zod";
import { email } from "#shared/app/email.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { getOwnedTask, publicTask } from "#shared/tasks/store.ts";

export const handler = httpHandler(email.functions.getTask, {
  params: z.object({ taskId: z.string().min(1).max(100) }),
  handle: async ({ ferry, params }) => {
    const task = await getOwnedTask(ferry.redis, params.taskId, ferry.principal?.keyId ?? "");
    // Another key's task is indistinguishable from a missing one: ids leak nothing.
    if (!task) throw notFound(`No task ${params.taskId}.`);
    return { status: 200, body: publicTask(task), headers: { "cache-control": "no-store" } };
  },
});
