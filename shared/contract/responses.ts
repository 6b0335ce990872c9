/**
 * Response bodies of the routes whose shape lives only in their handler (health, the email's 202,
 * the ticket, the webhook acknowledgement). The contract tests check the handlers' answers
 * against these, so a handler that changes its answer fails until this file says so.
 */
import * as z from "zod";
import { SUPPRESSION_REASONS } from "#shared/delivery/suppression.ts";
import { TASK_STATUSES } from "#shared/tasks/task.ts";

export const emailAcceptedSchema = z
  .object({
    taskId: z.string(),
    status: z
      .enum(TASK_STATUSES)
      .meta({ description: "`queued` (a replay may show the status it had then)" }),
    skipped: z
      .array(
        z.object({
          address: z.string(),
          reason: z.enum(SUPPRESSION_REASONS),
          at: z.string().meta({ description: "When it was suppressed" }),
        }),
      )
      .optional()
      .meta({ description: 'With `suppressed: "skip"`: the suppressed recipients not sent to' }),
  })
  .meta({ id: "EmailAccepted" });

export const ticketSchema = z
  .object({
    ticket: z.string(),
    url: z
      .string()
      .meta({ description: "wss:// (ws:// locally) URL with the ticket; connect to it within 60 s" }),
    expiresInSeconds: z.int().positive(),
  })
  .meta({
    id: "RealtimeTicket",
    description: "A single-use WebSocket ticket bound to the key that asked for it",
  });

const check = z.object({
  status: z.enum(["ok", "error"]),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
  state: z.string().optional(),
  openUntil: z.string().optional(),
  reason: z.string().optional().meta({ description: "sesCircuit when open: `throttling` or `reputation`" }),
  windowSeconds: z.int().optional(),
  sent: z.int().optional().meta({ description: "reputation: recipients sent to in the window" }),
  bounceRate: z.number().optional().meta({ description: "reputation: hard bounces / sent (a fraction)" }),
  complaintRate: z.number().optional().meta({ description: "reputation: complaints / sent (a fraction)" }),
});

export const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    checks: z.record(z.string(), check).meta({ description: "`redis`, `sesCircuit`, `reputation`" }),
  })
  .meta({ id: "Health" });

export const webhookReceivedSchema = z.object({ received: z.literal(true) }).meta({ id: "WebhookReceived" });
