/** Builds and sends one email with SESv2 SendEmail (the v2 API: full recipient lists, tags). */
import { type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import type { EmailMessage } from "./message.ts";
import { RESERVED_TAG } from "./request.ts";

export async function sendWithSes(ses: SESv2Client, from: string, message: EmailMessage): Promise<string> {
  const { email } = message;
  const out = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: from,
      Destination: { ToAddresses: email.to },
      ...(email.replyTo ? { ReplyToAddresses: email.replyTo } : {}),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: "UTF-8" },
          Body: {
            ...(email.text !== undefined ? { Text: { Data: email.text, Charset: "UTF-8" } } : {}),
            ...(email.html !== undefined ? { Html: { Data: email.html, Charset: "UTF-8" } } : {}),
          },
        },
      },
      EmailTags: [
        { Name: RESERVED_TAG, Value: message.taskId },
        ...Object.entries(email.tags ?? {}).map(([Name, Value]) => ({ Name, Value })),
      ],
    }),
  );
  if (!out.MessageId) throw Object.assign(new Error("SES returned no MessageId"), { name: "SesNoMessageId" });
  return out.MessageId;
}
