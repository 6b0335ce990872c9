/**
 * The task routes' schemas: what GET /v1/tasks and GET /v1/tasks/{taskId} accept and answer.
 * Handlers validate with them and the OpenAPI document (shared/contract/) is generated from them,
 * so the contract and the code cannot disagree; contract tests check every response against it.
 */
import * as z from "zod/mini";
import { BOUNCE_TYPES, DELIVERY_STATES } from "#shared/delivery/state.ts";
import { meta } from "#shared/zod/meta.ts";
import { TASK_STATUSES, type Task } from "./task.ts";

export const taskIdParams = z.object({
  taskId: meta(z.string().check(z.minLength(1), z.maxLength(100)), { example: "tsk_0d8f…" }),
});

const instant = meta(z.iso.datetime(), { description: "RFC 3339 instant, UTC" });

const recipientDeliverySchema = meta(
  z.object({
    state: meta(z.enum(DELIVERY_STATES), {
      description:
        "`sent`: SES accepted it for this recipient · `delayed`: the receiving server deferred it, SES keeps trying · " +
        "`delivered`: the receiving server accepted it · `bounced`: it will not be delivered (see `detail.bounceType`) · " +
        "`complained`: the recipient marked it as spam",
    }),
    at: meta(instant, { description: "When SES says it happened" }),
    detail: z.optional(
      z.object({
        bounceType: meta(z.optional(z.enum(BOUNCE_TYPES)), {
          description:
            "`permanent` (hard: the address is suppressed) or `transient` (soft: SES gave up for now)",
        }),
        subType: meta(z.optional(z.string()), {
          description:
            "SES's bounceSubType (`General`, `NoEmail`, `OnAccountSuppressionList`…), or `Rejected` / `RenderingFailure`",
        }),
        diagnostic: meta(z.optional(z.string()), {
          description: "The receiving server's SMTP answer, or SES's reason",
        }),
        complaintType: meta(z.optional(z.string()), {
          description: "The complaint's feedback type (`abuse`…)",
        }),
        delayType: meta(z.optional(z.string()), { description: "SES's delayType (`MailboxFull`…)" }),
      }),
    ),
  }),
  { description: "What SES reported for one recipient" },
);

export const taskSchema = meta(
  z.object({
    id: z.string(),
    type: z.literal("email"),
    status: meta(z.enum(TASK_STATUSES), {
      description:
        "queued → processing → (retrying → processing)* → succeeded | failed; `succeeded` means SES accepted the email",
    }),
    attempts: meta(z.int().check(z.gte(0)), { description: "Send attempts started so far" }),
    createdAt: instant,
    updatedAt: instant,
    nextAttemptAt: meta(z.optional(instant), {
      description: "When status is `retrying`: when the next attempt is due",
    }),
    result: z.optional(z.object({ messageId: meta(z.string(), { description: "SES's message id" }) })),
    error: z.optional(
      z.object({
        code: meta(z.string(), {
          description:
            "SES's error name (e.g. `MessageRejected`), `ses_access_denied`, `retries_exhausted` or `delivery_unknown`",
        }),
        message: z.string(),
      }),
    ),
    delivery: meta(z.optional(z.record(z.string(), recipientDeliverySchema)), {
      description:
        "Per recipient (lower-cased address), what SES reported after accepting the email; absent until SES reports. `status` stays the submission's state.",
    }),
    version: meta(z.int().check(z.gte(1)), {
      description: "Grows by one per transition: ignore updates not newer than the last seen",
    }),
  }),
  { id: "Task", description: "An email task: one POST /v1/emails and its progress through SES" },
);

// The stored shape and the documented one are the same type: a field added to one fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _taskMatches: [z.output<typeof taskSchema>] extends [Task]
  ? Same<keyof z.output<typeof taskSchema>, keyof Task>
  : false = true;
void _taskMatches;

const limit = meta(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20), {
  description: "Items per page (1–100)",
});
const cursor = meta(z.string().check(z.minLength(1), z.maxLength(600)), {
  description: "`nextCursor` of the previous page",
});

export const pageQuery = z.strictObject({ limit, cursor: z.optional(cursor) });

export const taskListQuery = z.extend(pageQuery, {
  status: meta(z.optional(z.enum(TASK_STATUSES)), { description: "Only tasks in this status" }),
});

export const nextCursor = meta(z.nullable(z.string()), {
  description: "Pass as `cursor` for the next page; null when there are no more",
});

export const taskListSchema = meta(z.object({ items: z.array(taskSchema), nextCursor }), {
  id: "TaskList",
  description: "The caller's tasks, newest first",
});
