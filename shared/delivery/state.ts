/**
 * Per-recipient delivery state (DESIGN.md "Task": `delivery`), from SES's events after the send.
 * A task's `status` says how far the submission to SES got; `delivery` says what happened to each
 * recipient afterwards. Events arrive late, twice and out of order (SES publishes at least once,
 * EventBridge and SQS retry), so the record a recipient ends with must not depend on arrival:
 *
 *   the record kept is the greatest by (rank, at, tiebreak), where rank is
 *     sent 0 < delayed 1 < delivered 2 < bounced transient 3 < bounced permanent 4 < complained 5
 *
 * Taking a maximum over a total order is commutative, associative and idempotent, so every order
 * and every number of copies of the same events ends in the same record, and a copy changes
 * nothing (no version bump, no push). The ranks follow the real lifecycle: a delay comes before
 * the outcome, a bounce can follow a delivery (the receiving server accepted, then bounced), and a
 * complaint comes after a delivery and is the most serious thing an address can do to the account.
 * A permanent bounce outranks a transient one: once an address is known dead, a later soft bounce
 * does not make it look recoverable.
 */
export const DELIVERY_STATES = ["sent", "delivered", "delayed", "bounced", "complained"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const BOUNCE_TYPES = ["permanent", "transient"] as const;
export type BounceType = (typeof BOUNCE_TYPES)[number];

/** What SES said beyond the state. */
export interface DeliveryDetail {
  /** bounced: permanent (hard: never retry) or transient (soft: SES gave up for now). */
  readonly bounceType?: BounceType;
  /** SES's bounceSubType (`General`, `NoEmail`, `OnAccountSuppressionList`…), or `Rejected` / `RenderingFailure`. */
  readonly subType?: string;
  /** The receiving server's SMTP answer (`smtp; 550 5.1.1 user unknown`), or SES's reason. */
  readonly diagnostic?: string;
  /** complained: the feedback type (`abuse`, `not-spam`…) when the provider gave one. */
  readonly complaintType?: string;
  /** delayed: SES's delayType (`MailboxFull`, `TransientCommunicationFailure`…). */
  readonly delayType?: string;
}

export interface RecipientDelivery {
  readonly state: DeliveryState;
  /** When SES says it happened (the event's own timestamp, not when Ferry heard of it). */
  readonly at: string;
  readonly detail?: DeliveryDetail;
}

/** The rank of a record in the order above. */
export function deliveryRank(record: Pick<RecipientDelivery, "state" | "detail">): number {
  switch (record.state) {
    case "sent":
      return 0;
    case "delayed":
      return 1;
    case "delivered":
      return 2;
    case "bounced":
      return record.detail?.bounceType === "transient" ? 3 : 4;
    case "complained":
      return 5;
  }
}

/** Recipient keys are compared case-insensitively (as SES and every mailbox provider do). */
export const normalizeAddress = (address: string): string => address.trim().toLowerCase();
