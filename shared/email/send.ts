/** Builds and sends one email with SESv2 SendEmail (the v2 API: full recipient lists, tags). */
import { type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { type Traced, traceRequest } from "#shared/aws/request-trace.ts";
import type { EmailMessage } from "./message.ts";
import { RESERVED_TAG } from "./request.ts";

export interface SesSender {
  /** The From address (EMAIL_FROM). */
  readonly from: string;
  /** SES configuration set every email is sent with (SES_CONFIGURATION_SET), if any. */
  readonly configurationSet?: string | undefined;
}

/**
 * Resolves to SES's message id, or to the failure with how far the HTTP request got (see
 * shared/aws/request-trace.ts): the worker needs both to know whether SES may have the email.
 */
export function sendWithSes(
  ses: SESv2Client,
  sender: SesSender,
  message: EmailMessage,
): Promise<Traced<string>> {
  const { email } = message;
  const command = new SendEmailCommand({
    FromEmailAddress: sender.from,
    Destination: { ToAddresses: email.to },
    ...(email.replyTo ? { ReplyToAddresses: email.replyTo } : {}),
    ...(sender.configurationSet ? { ConfigurationSetName: sender.configurationSet } : {}),
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
  });
  return traceRequest(async () => {
    const out = await ses.send(command);
    if (!out.MessageId) {
      // SES answered 2xx, so it accepted the email; only its id is missing.
      throw Object.assign(new Error("SES returned no MessageId"), {
        name: "SesNoMessageId",
        $metadata: { httpStatusCode: out.$metadata.httpStatusCode ?? 200 },
      });
    }
    return out.MessageId;
  });
}
