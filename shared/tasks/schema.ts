/**
 * The task routes' schemas: what GET /v1/tasks and GET /v1/tasks/{taskId} accept and answer.
 * Handlers validate with them and the OpenAPI document (shared/contract/) is generated from them,
 * so the contract and the code cannot disagree; contract tests check every response against it.
 */
import * as z from "zod";
import { BOUNCE_TYPES, DELIVERY_STATES } from "#shared/delivery/state.ts";
import { TASK_STATUSES, type Task } from "./task.ts";

export const taskIdParams = z.object({ taskId: z.string().min(1).max(100).meta({ example: "tsk_0d8f…" }) });

const instant = z.iso.datetime().meta({ description: "RFC 3339 instant, UTC" });

const recipientDeliverySchema = z
  .object({
    state: z.enum(DELIVERY_STATES).meta({
      description:
        "`sent`: SES accepted it for this recipient · `delayed`: the receiving server deferred it, SES keeps trying · " +
        "`delivered`: the receiving server accepted it · `bounced`: it will not be delivered (see `detail.bounceType`) · " +
        "`complained`: the recipient marked it as spam",
    }),
    at: instant.meta({ description: "When SES says it happened" }),
    detail: z
      .object({
        bounceType: z.enum(BOUNCE_TYPES).optional().meta({
          description:
            "`permanent` (hard: the address is suppressed) or `transient` (soft: SES gave up for now)",
        }),
        subType: z.string().optional().meta({
          description:
            "SES's bounceSubType (`General`, `NoEmail`, `OnAccountSuppressionList`…), or `Rejected` / `RenderingFailure`",
        }),
        diagnostic: z
          .string()
          .optional()
          .meta({ description: "The receiving server's SMTP answer, or SES's reason" }),
        complaintType: z
          .string()
          .optional()
          .meta({ description: "The complaint's feedback type (`abuse`…)" }),
        delayType: z.string().optional().meta({ description: "SES's delayType (`MailboxFull`…)" }),
      })
      .optional(),
  })
  .meta({ description: "What SES reported for one recipient" });

export const taskSchema = z
  .object({
    id: z.string(),
    type: z.literal("email"),
    status: z.enum(TASK_STATUSES).meta({
      description:
        "queued → processing → (retrying → processing)* → succeeded | failed; `succeeded` means SES accepted the email",
    }),
    attempts: z.int().min(0).meta({ description: "Send attempts started so far" }),
    createdAt: instant,
    updatedAt: instant,
    nextAttemptAt: instant
      .optional()
      .meta({ description: "When status is `retrying`: when the next attempt is due" }),
    result: z.object({ messageId: z.string().meta({ description: "SES's message id" }) }).optional(),
    error: z
      .object({
        code: z.string().meta({
          description:
            "SES's error name (e.g. `MessageRejected`), `ses_access_denied`, `retries_exhausted` or `delivery_unknown`",
        }),
        message: z.string(),
      })
      .optional(),
    delivery: z.record(z.string(), recipientDeliverySchema).optional().meta({
      description:
        "Per recipient (lower-cased address), what SES reported after accepting the email; absent until SES reports. `status` stays the submission's state.",
    }),
    version: z
      .int()
      .min(1)
      .meta({ description: "Grows by one per transition: ignore updates not newer than the last seen" }),
  })
  .meta({ id: "Task", description: "An email task: one POST /v1/emails and its progress through SES" });

// The stored shape and the documented one are the same type: a field added to one fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _taskMatches: [z.output<typeof taskSchema>] extends [Task]
  ? Same<keyof z.output<typeof taskSchema>, keyof Task>
  : false = true;
void _taskMatches;

const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .meta({ description: "Items per page (1–100)" });
const cursor = z.string().min(1).max(600).meta({ description: "`nextCursor` of the previous page" });

export const pageQuery = z.strictObject({ limit, cursor: cursor.optional() });

export const taskListQuery = pageQuery.extend({
  status: z.enum(TASK_STATUSES).optional().meta({ description: "Only tasks in this status" }),
});

export const nextCursor = z
  .string()
  .nullable()
  .meta({ description: "Pass as `cursor` for the next page; null when there are no more" });

export const taskListSchema = z
  .object({ items: z.array(taskSchema), nextCursor })
  .meta({ id: "TaskList", description: "The caller's tasks, newest first" });
