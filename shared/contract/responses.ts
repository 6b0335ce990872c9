/**
 * Response bodies of the routes whose shape lives only in their handler (health, the email's 202,
 * the ticket, the webhook acknowledgement). The contract tests check the handlers' answers
 * against these, so a handler that changes its answer fails until this file says so.
 */
import * as z from "zod/mini";
import { SUPPRESSION_REASONS } from "#shared/delivery/suppression.ts";
import { TASK_STATUSES } from "#shared/tasks/task.ts";
import { meta } from "#shared/zod/meta.ts";

export const emailAcceptedSchema = meta(
  z.object({
    taskId: z.string(),
    status: meta(z.enum(TASK_STATUSES), {
      description: "`queued` (a replay may show the status it had then)",
    }),
    skipped: meta(
      z.optional(
        z.array(
          z.object({
            address: z.string(),
            reason: z.enum(SUPPRESSION_REASONS),
            at: meta(z.string(), { description: "When it was suppressed" }),
          }),
        ),
      ),
      { description: 'With `suppressed: "skip"`: the suppressed recipients not sent to' },
    ),
  }),
  { id: "EmailAccepted" },
);

export const ticketSchema = meta(
  z.object({
    ticket: z.string(),
    url: meta(z.string(), {
      description: "wss:// (ws:// locally) URL with the ticket; connect to it within 60 s",
    }),
    expiresInSeconds: z.int().check(z.positive()),
  }),
  {
    id: "RealtimeTicket",
    description: "A single-use WebSocket ticket bound to the key that asked for it",
  },
);

const check = z.object({
  status: z.enum(["ok", "error"]),
  latencyMs: z.optional(z.number()),
  detail: z.optional(z.string()),
  state: z.optional(z.string()),
  openUntil: z.optional(z.string()),
  reason: meta(z.optional(z.string()), { description: "sesCircuit when open: `throttling` or `reputation`" }),
  windowSeconds: z.optional(z.int()),
  sent: meta(z.optional(z.int()), { description: "reputation: recipients sent to in the window" }),
  bounceRate: meta(z.optional(z.number()), { description: "reputation: hard bounces / sent (a fraction)" }),
  complaintRate: meta(z.optional(z.number()), { description: "reputation: complaints / sent (a fraction)" }),
});

export const healthSchema = meta(
  z.object({
    status: z.enum(["ok", "degraded"]),
    checks: meta(z.record(z.string(), check), { description: "`redis`, `sesCircuit`, `reputation`" }),
  }),
  { id: "Health" },
);

export const webhookReceivedSchema = meta(z.object({ received: z.literal(true) }), { id: "WebhookReceived" });
