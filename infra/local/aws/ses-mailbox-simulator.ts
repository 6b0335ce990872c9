/**
 * The SES mailbox simulator, locally: after the SES emulator accepted a SendEmail (seen at the
 * SES edge, aws-proxy.ts), the events AWS would publish for it are put on the events queue in the
 * envelope the stack's destination delivers (EventBridge, ses-events.ts), so the same events
 * worker handles them as in AWS. What each simulator address produces, as AWS documents the
 * mailbox simulator (labels such as `success+order-17@` work too):
 *
 *   success@simulator.amazonses.com          Send, Delivery
 *   bounce@simulator.amazonses.com           Send, Bounce (Permanent, General, `smtp; 550 5.1.1 user unknown`)
 *   ooto@simulator.amazonses.com             Send, Delivery (the out-of-office reply goes to the
 *                                            sender's mailbox; SES publishes no event for it)
 *   complaint@simulator.amazonses.com        Send, Delivery, Complaint (abuse)
 *   suppressionlist@simulator.amazonses.com  Send, Bounce (Permanent, OnAccountSuppressionList)
 *   any other address                        Send, Delivery
 *
 * One Send event lists every recipient (as SES's does); each outcome is its own event. They are
 * sent in that order, a millisecond apart in their timestamps; the worker does not depend on the
 * order anyway. Events go straight to the emulated queue: SES and EventBridge are AWS's side of
 * the edge, not a function's, so local IAM does not judge them.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { LocalLog } from "../functions/lambda-context.ts";
import type { AwsAnswer, AwsCall, Observer } from "./aws-proxy.ts";
import { type SesEventInput, type SesMail, sesEvent } from "./ses-events.ts";

export const SIMULATOR_DOMAIN = "simulator.amazonses.com";

export interface MailboxSimulatorOptions {
  readonly sqs: SQSClient;
  /** The events queue's URL in the SQS emulator. */
  readonly queueUrl: string;
  readonly region: string;
  readonly log: LocalLog;
}

export interface MailboxSimulator {
  /** For the SES edge: `sesEdge.observe(simulator.observer)`. */
  readonly observer: Observer;
  /** Resolves once every event produced so far is on the queue (or failed to get there). */
  settled(): Promise<void>;
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** `Name <a@b.c>` or `a@b.c` → `a@b.c`. */
const bare = (address: string): string => /<([^>]+)>/.exec(address)?.[1] ?? address.trim();

/** The simulator scenario of an address: its local part without a `+label`, on the simulator's domain. */
function scenarioOf(address: string): string | undefined {
  const [local = "", domain = ""] = bare(address).toLowerCase().split("@");
  return domain === SIMULATOR_DOMAIN ? local.split("+")[0] : undefined;
}

/** The events SES publishes for one recipient, after the Send. */
export function outcomeEvents(
  mail: SesMail,
  recipient: string,
  at: (step: number) => string,
): SesEventInput[] {
  switch (scenarioOf(recipient)) {
    case "bounce":
      return [
        {
          type: "Bounce",
          mail,
          bounceType: "Permanent",
          bounceSubType: "General",
          recipients: [
            { emailAddress: recipient, status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" },
          ],
          at: at(1),
        },
      ];
    case "suppressionlist":
      return [
        {
          type: "Bounce",
          mail,
          bounceType: "Permanent",
          bounceSubType: "OnAccountSuppressionList",
          recipients: [
            {
              emailAddress: recipient,
              diagnosticCode:
                "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
            },
          ],
          at: at(1),
        },
      ];
    case "complaint":
      return [
        { type: "Delivery", mail, recipients: [recipient], at: at(1) },
        { type: "Complaint", mail, recipients: [recipient], feedbackType: "abuse", at: at(2) },
      ];
    default:
      // success@, ooto@ and every address outside the simulator.
      return [{ type: "Delivery", mail, recipients: [recipient], at: at(1) }];
  }
}

/** The SendEmail's mail object as SES's events carry it, or undefined when it was not accepted. */
function mailOf(call: AwsCall, answer: AwsAnswer): SesMail | undefined {
  if (call.service !== "ses" || call.action !== "SendEmail" || answer.status < 200 || answer.status > 299) {
    return undefined;
  }
  let messageId: unknown;
  try {
    messageId = (JSON.parse(answer.body.toString("utf8")) as { MessageId?: unknown }).MessageId;
  } catch {
    return undefined;
  }
  if (typeof messageId !== "string") return undefined;
  const destination = call.input.Destination as Record<string, unknown> | undefined;
  const recipients = [
    ...list(destination?.ToAddresses),
    ...list(destination?.CcAddresses),
    ...list(destination?.BccAddresses),
  ].map(bare);
  const tags: Record<string, string[]> = {};
  for (const tag of Array.isArray(call.input.EmailTags) ? call.input.EmailTags : []) {
    const { Name, Value } = tag as { Name?: unknown; Value?: unknown };
    if (typeof Name === "string" && typeof Value === "string") tags[Name] = [Value];
  }
  const configurationSet = call.input.ConfigurationSetName;
  if (typeof configurationSet === "string") tags["ses:configuration-set"] = [configurationSet];
  const from = bare(String(call.input.FromEmailAddress ?? ""));
  tags["ses:source-ip"] = ["127.0.0.1"];
  tags["ses:from-domain"] = [from.slice(from.lastIndexOf("@") + 1)];
  return { messageId, timestamp: new Date().toISOString(), source: from, destination: recipients, tags };
}

export function createMailboxSimulator(options: MailboxSimulatorOptions): MailboxSimulator {
  const pending = new Set<Promise<void>>();

  const publish = async (mail: SesMail) => {
    const start = Date.parse(mail.timestamp);
    const at = (step: number) => new Date(start + step).toISOString();
    const events: SesEventInput[] = [
      { type: "Send", mail },
      ...mail.destination.flatMap((recipient) => outcomeEvents(mail, recipient, at)),
    ];
    for (const event of events) {
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: JSON.stringify(sesEvent(event, { region: options.region })),
        }),
      );
    }
  };

  return {
    observer: (call, answer) => {
      const mail = mailOf(call, answer);
      if (!mail) return;
      const run = publish(mail)
        .catch((error: unknown) => options.log.error("SES mailbox simulator: an event was not queued", error))
        .finally(() => pending.delete(run));
      pending.add(run);
    },
    settled: async () => {
      await Promise.all([...pending]);
    },
  };
}
