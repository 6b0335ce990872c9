/**
 * The email queue's message: everything the worker needs to send and to create the task record
 * if it runs before the API's own write lands. Parsed with zod on the way out of the queue.
 */
import * as z from "zod/mini";
import type { EmailContent } from "./request.ts";

/** SQS's payload limit (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

export const emailMessageSchema = z.object({
  kind: z.literal("email.send"),
  taskId: z.string().check(z.minLength(1)),
  ownerKeyId: z.string().check(z.minLength(1)),
  createdAt: z.iso.datetime(),
  email: z.object({
    to: z.array(z.string()).check(z.minLength(1)),
    subject: z.string(),
    text: z.optional(z.string()),
    html: z.optional(z.string()),
    replyTo: z.optional(z.array(z.string())),
    tags: z.optional(z.record(z.string(), z.string())),
  }),
});

export type EmailMessage = z.infer<typeof emailMessageSchema>;

export function buildEmailMessage(
  taskId: string,
  ownerKeyId: string,
  createdAt: Date,
  email: EmailContent,
): EmailMessage {
  return {
    kind: "email.send",
    taskId,
    ownerKeyId,
    createdAt: createdAt.toISOString(),
    email: {
      to: [...email.to],
      subject: email.subject,
      ...(email.text !== undefined ? { text: email.text } : {}),
      ...(email.html !== undefined ? { html: email.html } : {}),
      ...(email.replyTo ? { replyTo: [...email.replyTo] } : {}),
      ...(email.tags ? { tags: { ...email.tags } } : {}),
    },
  };
}
