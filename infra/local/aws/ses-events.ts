/**
 * SES event publishing records in the envelope the stack's destination delivers: EventBridge's
 * `{version, id, detail-type, source: "aws.ses", account, time, region, resources, detail}`, with
 * `detail` the SES event (eventType, mail, and the event's own object), as AWS documents them.
 * The local mailbox simulator (ses-mailbox-simulator.ts) and the tests build events here, so both
 * speak exactly what the events worker reads in AWS.
 */
import { randomUUID } from "node:crypto";
import { SES_DETAIL_TYPES, type SesEventType } from "#shared/delivery/ses-event.ts";
import { LOCAL_ACCOUNT_ID } from "../functions/lambda-context.ts";

export interface SesMail {
  readonly messageId: string;
  /** When SES accepted the email (ISO 8601). */
  readonly timestamp: string;
  readonly source: string;
  readonly destination: readonly string[];
  /** The send's EmailTags plus the `ses:` tags SES adds, each a list as SES publishes them. */
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

export type SesEventInput =
  | { readonly type: "Send"; readonly mail: SesMail }
  | {
      readonly type: "Delivery";
      readonly mail: SesMail;
      readonly recipients: readonly string[];
      readonly at: string;
    }
  | {
      readonly type: "Bounce";
      readonly mail: SesMail;
      readonly bounceType: "Permanent" | "Transient" | "Undetermined";
      readonly bounceSubType: string;
      readonly recipients: readonly {
        readonly emailAddress: string;
        readonly diagnosticCode?: string;
        readonly status?: string;
      }[];
      readonly at: string;
    }
  | {
      readonly type: "Complaint";
      readonly mail: SesMail;
      readonly recipients: readonly string[];
      readonly feedbackType?: string;
      readonly at: string;
    }
  | {
      readonly type: "DeliveryDelay";
      readonly mail: SesMail;
      readonly recipients: readonly string[];
      readonly delayType: string;
      readonly at: string;
    }
  | { readonly type: "Reject"; readonly mail: SesMail; readonly reason: string }
  | { readonly type: "Rendering Failure"; readonly mail: SesMail; readonly errorMessage: string };

const REPORTING_MTA = "dsn; a8-96.smtp-out.amazonses.com";

function eventBody(event: SesEventInput): Record<string, unknown> {
  switch (event.type) {
    case "Send":
      return { send: {} };
    case "Delivery":
      return {
        delivery: {
          timestamp: event.at,
          processingTimeMillis: Math.max(0, Date.parse(event.at) - Date.parse(event.mail.timestamp)),
          recipients: event.recipients,
          smtpResponse: "250 2.6.0 Message received",
          reportingMTA: "a8-96.smtp-out.amazonses.com",
        },
      };
    case "Bounce":
      return {
        bounce: {
          bounceType: event.bounceType,
          bounceSubType: event.bounceSubType,
          bouncedRecipients: event.recipients,
          timestamp: event.at,
          feedbackId: randomUUID(),
          reportingMTA: REPORTING_MTA,
        },
      };
    case "Complaint":
      return {
        complaint: {
          complainedRecipients: event.recipients.map((emailAddress) => ({ emailAddress })),
          timestamp: event.at,
          feedbackId: randomUUID(),
          userAgent: "Amazon SES Mailbox Simulator",
          ...(event.feedbackType ? { complaintFeedbackType: event.feedbackType } : {}),
          arrivalDate: event.at,
        },
      };
    case "DeliveryDelay":
      return {
        deliveryDelay: {
          timestamp: event.at,
          delayType: event.delayType,
          expirationTime: new Date(Date.parse(event.at) + 86_400_000).toISOString(),
          delayedRecipients: event.recipients.map((emailAddress) => ({
            emailAddress,
            status: "4.4.1",
            diagnosticCode: "smtp; 421 4.4.1 Unable to connect to remote host",
          })),
        },
      };
    case "Reject":
      return { reject: { reason: event.reason } };
    case "Rendering Failure":
      return { failure: { errorMessage: event.errorMessage, templateName: "-" } };
  }
}

/** One SES event in its EventBridge envelope. */
export function sesEvent(event: SesEventInput, options: { region?: string; configurationSet?: string } = {}) {
  const region = options.region ?? "us-east-1";
  const configurationSet = options.configurationSet ?? event.mail.tags["ses:configuration-set"]?.[0];
  const eventType: SesEventType = event.type;
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": SES_DETAIL_TYPES[eventType],
    source: "aws.ses",
    account: LOCAL_ACCOUNT_ID,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: configurationSet
      ? [`arn:aws:ses:${region}:${LOCAL_ACCOUNT_ID}:configuration-set/${configurationSet}`]
      : [],
    detail: {
      eventType,
      mail: {
        timestamp: event.mail.timestamp,
        source: event.mail.source,
        sendingAccountId: LOCAL_ACCOUNT_ID,
        messageId: event.mail.messageId,
        destination: event.mail.destination,
        headersTruncated: false,
        tags: event.mail.tags,
      },
      ...eventBody(event),
    },
  };
}
