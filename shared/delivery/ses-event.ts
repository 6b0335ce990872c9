/**
 * SES's event publishing records, as the stack's destination delivers them: EventBridge puts
 * each SES event on the default bus as `{source: "aws.ses", "detail-type": "Email Bounced", …,
 * detail: <the SES event>}` and its rule hands that envelope to the events queue as the message
 * body. `toDeliveryUpdate` turns one into what the apply script needs: the task (from the
 * `ferry_task` tag every send carries), each recipient's new record, and the addresses to suppress.
 * Unknown event types (Open, Click, Subscription: not published by Ferry's configuration set) are
 * `ignored`, never an error: SES may grow new ones and they must not end in the DLQ.
 */
import * as z from "zod/mini";
import "#shared/zod/messages.ts";
import { RESERVED_TAG } from "#shared/email/request.ts";
import { type DeliveryDetail, normalizeAddress, type RecipientDelivery } from "./state.ts";
import type { SuppressionReason, SuppressionSource } from "./suppression.ts";

const instant = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), "must be a timestamp"));
const address = z.string().check(z.minLength(3), z.maxLength(320));

const mailSchema = z.looseObject({
  timestamp: instant,
  messageId: z.string().check(z.minLength(1), z.maxLength(255)),
  destination: z._default(z.array(address), []),
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
});

const detailSchema = z.looseObject({
  eventType: z.string(),
  mail: mailSchema,
  delivery: z.optional(
    z.looseObject({ timestamp: instant, recipients: z.array(address), smtpResponse: z.optional(z.string()) }),
  ),
  bounce: z.optional(
    z.looseObject({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      timestamp: instant,
      bouncedRecipients: z.array(
        z.looseObject({ emailAddress: address, diagnosticCode: z.optional(z.string()) }),
      ),
    }),
  ),
  complaint: z.optional(
    z.looseObject({
      timestamp: instant,
      complaintFeedbackType: z.optional(z.string()),
      complainedRecipients: z.array(z.looseObject({ emailAddress: address })),
    }),
  ),
  deliveryDelay: z.optional(
    z.looseObject({
      timestamp: instant,
      delayType: z.optional(z.string()),
      delayedRecipients: z.array(
        z.looseObject({ emailAddress: address, diagnosticCode: z.optional(z.string()) }),
      ),
    }),
  ),
  reject: z.optional(z.looseObject({ reason: z.optional(z.string()) })),
  failure: z.optional(z.looseObject({ errorMessage: z.optional(z.string()) })),
});

/** The EventBridge envelope (only what Ferry reads). */
export const sesEventEnvelopeSchema = z.looseObject({
  source: z.literal("aws.ses"),
  "detail-type": z.string(),
  detail: detailSchema,
});
export type SesEventEnvelope = z.input<typeof sesEventEnvelopeSchema>;

/** The EventBridge detail-type of each SES event type Ferry's configuration set publishes. */
export const SES_DETAIL_TYPES = {
  Send: "Email Sent",
  Delivery: "Email Delivered",
  Bounce: "Email Bounced",
  Complaint: "Email Complaint Received",
  DeliveryDelay: "Email Delivery Delayed",
  Reject: "Email Rejected",
  "Rendering Failure": "Email Rendering Failed",
} as const;
export type SesEventType = keyof typeof SES_DETAIL_TYPES;

/** Bounce subtypes meaning SES did not even try: the address is on a suppression list. */
export const SUPPRESSION_LIST_SUBTYPES = ["OnAccountSuppressionList", "Suppressed"] as const;

export interface RecipientUpdate {
  readonly address: string;
  readonly record: RecipientDelivery;
  /** Counted once per recipient towards the account's bounce or complaint rate. */
  readonly countAs?: "bounce" | "complaint";
}

export interface SuppressionRequest {
  readonly address: string;
  readonly reason: SuppressionReason;
  readonly source: SuppressionSource;
  readonly detail?: string;
}

export interface DeliveryUpdate {
  readonly eventType: SesEventType;
  /** Undefined when the email was not sent by Ferry (no `ferry_task` tag): only suppress/count. */
  readonly taskId: string | undefined;
  readonly messageId: string;
  /** Every recipient of the email (counted once each as sent). */
  readonly destination: readonly string[];
  readonly recipients: readonly RecipientUpdate[];
  readonly suppress: readonly SuppressionRequest[];
}

export type ParsedSesEvent =
  | { readonly kind: "update"; readonly update: DeliveryUpdate }
  | { readonly kind: "ignored"; readonly eventType: string }
  | { readonly kind: "invalid"; readonly problem: string };

const iso = (s: string) => new Date(Date.parse(s)).toISOString();
const clip = (s: string | undefined) => (s === undefined ? undefined : s.slice(0, 1000));

function withDetail(detail: DeliveryDetail): { detail?: DeliveryDetail } {
  const entries = Object.entries(detail).filter(([, v]) => v !== undefined && v !== "");
  return entries.length > 0 ? { detail: Object.fromEntries(entries) as DeliveryDetail } : {};
}

export function parseSesEvent(body: string): ParsedSesEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: "invalid", problem: "not JSON" };
  }
  const parsed = sesEventEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    return {
      kind: "invalid",
      problem: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    };
  }
  const { detail } = parsed.data;
  const eventType = detail.eventType;
  if (!(eventType in SES_DETAIL_TYPES)) return { kind: "ignored", eventType };
  const mail = detail.mail;
  const destination = mail.destination.map(normalizeAddress);
  const base = {
    eventType: eventType as SesEventType,
    taskId: mail.tags?.[RESERVED_TAG]?.[0],
    messageId: mail.messageId,
    destination,
  };
  const missing = (what: string): ParsedSesEvent => ({
    kind: "invalid",
    problem: `${eventType} without ${what}`,
  });
  const everyone = (record: RecipientDelivery): RecipientUpdate[] =>
    destination.map((a) => ({ address: a, record }));

  switch (eventType as SesEventType) {
    case "Send":
      return {
        kind: "update",
        update: { ...base, recipients: everyone({ state: "sent", at: iso(mail.timestamp) }), suppress: [] },
      };
    case "Delivery": {
      const d = detail.delivery;
      if (!d) return missing("delivery");
      const recipients = d.recipients.map((a) => ({
        address: normalizeAddress(a),
        record: { state: "delivered", at: iso(d.timestamp) } as RecipientDelivery,
      }));
      return { kind: "update", update: { ...base, recipients, suppress: [] } };
    }
    case "Bounce": {
      const b = detail.bounce;
      if (!b) return missing("bounce");
      // Undetermined: SES could not tell; treated as transient, so it never suppresses on a guess.
      const permanent = b.bounceType === "Permanent";
      const onList = (SUPPRESSION_LIST_SUBTYPES as readonly string[]).includes(b.bounceSubType ?? "");
      const recipients: RecipientUpdate[] = [];
      const suppress: SuppressionRequest[] = [];
      for (const r of b.bouncedRecipients) {
        const address = normalizeAddress(r.emailAddress);
        const diagnostic = clip(r.diagnosticCode);
        recipients.push({
          address,
          record: {
            state: "bounced",
            at: iso(b.timestamp),
            ...withDetail({
              bounceType: permanent ? "permanent" : "transient",
              subType: b.bounceSubType,
              diagnostic,
            }),
          },
          ...(permanent ? { countAs: "bounce" as const } : {}),
        });
        if (permanent || onList) {
          suppress.push({
            address,
            reason: "bounce",
            source: onList ? "ses-suppression-list" : "ses-bounce",
            ...(diagnostic ? { detail: diagnostic } : b.bounceSubType ? { detail: b.bounceSubType } : {}),
          });
        }
      }
      return { kind: "update", update: { ...base, recipients, suppress } };
    }
    case "Complaint": {
      const c = detail.complaint;
      if (!c) return missing("complaint");
      // `not-spam` is a provider saying the recipient un-marked it: recorded, never suppressed.
      const suppresses = c.complaintFeedbackType !== "not-spam";
      const recipients = c.complainedRecipients.map((r) => ({
        address: normalizeAddress(r.emailAddress),
        record: {
          state: "complained",
          at: iso(c.timestamp),
          ...withDetail({ complaintType: c.complaintFeedbackType }),
        } as RecipientDelivery,
        ...(suppresses ? { countAs: "complaint" as const } : {}),
      }));
      const suppress = suppresses
        ? recipients.map((r) => ({
            address: r.address,
            reason: "complaint" as const,
            source: "ses-complaint" as const,
            ...(c.complaintFeedbackType ? { detail: c.complaintFeedbackType } : {}),
          }))
        : [];
      return { kind: "update", update: { ...base, recipients, suppress } };
    }
    case "DeliveryDelay": {
      const d = detail.deliveryDelay;
      if (!d) return missing("deliveryDelay");
      const recipients = d.delayedRecipients.map((r) => ({
        address: normalizeAddress(r.emailAddress),
        record: {
          state: "delayed",
          at: iso(d.timestamp),
          ...withDetail({ delayType: d.delayType, diagnostic: clip(r.diagnosticCode) }),
        } as RecipientDelivery,
      }));
      return { kind: "update", update: { ...base, recipients, suppress: [] } };
    }
    case "Reject":
    case "Rendering Failure": {
      // SES accepted the call but will never deliver (a virus; a template that does not render):
      // final for every recipient, though no recipient's fault, so nothing is suppressed or counted.
      const subType = eventType === "Reject" ? "Rejected" : "RenderingFailure";
      const diagnostic = clip(eventType === "Reject" ? detail.reject?.reason : detail.failure?.errorMessage);
      const record: RecipientDelivery = {
        state: "bounced",
        at: iso(mail.timestamp),
        ...withDetail({ bounceType: "permanent", subType, diagnostic }),
      };
      return { kind: "update", update: { ...base, recipients: everyone(record), suppress: [] } };
    }
  }
}
