/** GET /v1/tasks: the caller's tasks, newest first, a page at a time, optionally by status. */
import { email } from "#shared/app/email.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { taskListQuery } from "#shared/tasks/schema.ts";
import { listOwnedTasks } from "#shared/tasks/store.ts";

export const handler = httpHandler(email.functions.listTasks, {
  query: taskListQuery,
  handle: async ({ ferry, query }) => {
    const page = await listOwnedTasks(ferry.redis, ferry.principal?.keyId ?? "", query);
    return { status: 200, body: page, headers: { "cache-control": "no-store" } };
  },
});
