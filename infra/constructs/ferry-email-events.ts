/**
 * The stack's own SES configuration set, used for every send (the email worker passes it as
 * ConfigurationSetName; its grant covers it), and the path of its events to the events queue:
 *
 *   SES configuration set ─ event destination ─► EventBridge default bus ─ rule ─► SQS events (+DLQ)
 *
 * Why EventBridge → SQS rather than SNS → SQS:
 *   - no topic to own: an SNS destination needs a topic whose encryption SES can publish through
 *     (a customer-managed KMS key with a key policy for ses.amazonaws.com: ~$1/month and a key
 *     policy to get right, or an unencrypted topic cdk-nag rightly flags); EventBridge's default
 *     bus is always there, and the rule delivers to the SSE-SQS queue with a queue policy CDK writes;
 *   - one envelope: the SQS body is the EventBridge event with the SES event as a JSON object in
 *     `detail`, not a JSON string inside SNS's `Message` (no double decoding, no raw-delivery flag);
 *   - the rule filters: it forwards only this configuration set's events (SES tags each event with
 *     `ses:configuration-set`), so two stages in one account never see each other's bounces;
 *   - the cost is the same order (EventBridge AWS-service events to the default bus are free;
 *     the rule's deliveries are not billed as custom events).
 * SES only publishes to the default bus, hence `default` here.
 *
 * The configuration set also turns on SES's own suppression for this set (bounces and
 * complaints: SuppressionOptions), and reputation metrics (Reputation.BounceRate / ComplaintRate
 * in AWS/SES, which the alarms read beside Ferry's own rates).
 */
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import {
  ConfigurationSet,
  type ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from "aws-cdk-lib/aws-ses";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SES_DETAIL_TYPES } from "#shared/delivery/ses-event.ts";

/** The SES event types Ferry's worker applies (shared/delivery/ses-event.ts reads each). */
export const PUBLISHED_SES_EVENTS = [
  EmailSendingEvent.SEND,
  EmailSendingEvent.DELIVERY,
  EmailSendingEvent.BOUNCE,
  EmailSendingEvent.COMPLAINT,
  EmailSendingEvent.DELIVERY_DELAY,
  EmailSendingEvent.REJECT,
  EmailSendingEvent.RENDERING_FAILURE,
] as const;

export interface FerryEmailEventsProps {
  /** The configuration set's name; CloudFormation names it when absent. */
  readonly configurationSetName?: string;
  /** Where the events go: the manifest's `events` queue. */
  readonly eventsQueue: IQueue;
}

export class FerryEmailEvents extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly destination: ConfigurationSetEventDestination;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: FerryEmailEventsProps) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, "ConfigurationSet", {
      ...(props.configurationSetName ? { configurationSetName: props.configurationSetName } : {}),
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    this.destination = this.configurationSet.addEventDestination("EventBridge", {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, "DefaultBus", "default")),
      events: [...PUBLISHED_SES_EVENTS],
    });
    this.rule = new Rule(this, "ToEventsQueue", {
      description: "SES events of Ferry's configuration set → the events queue",
      eventPattern: {
        source: ["aws.ses"],
        detailType: Object.values(SES_DETAIL_TYPES),
        detail: { mail: { tags: { "ses:configuration-set": [this.configurationSet.configurationSetName] } } },
      },
      targets: [new SqsQueue(props.eventsQueue)],
    });
  }
}
