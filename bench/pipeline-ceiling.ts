/**
 * The emulators' ceiling for the end-to-end figure: the same work with no Ferry code. 16 producers
 * send the messages (SendMessage); consumer loops play the event source mapping as the local
 * poller does, as many batches (of up to 10) in flight as the email queue's maxConcurrency lets
 * the poller have, so both sides of the ratio overlap the same number of batches; for each message
 * one Upstash round trip (the task's final state must be written somewhere) and one SES SendEmail,
 * then the batch is deleted.
 */
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { manifest } from "#shared/app/manifest.ts";
import { DEFAULT_MAX_CONCURRENCY } from "#shared/app/types.ts";
import { closedLoop, cpuMsSince, type Harness } from "./pipeline-harness.ts";
import { EMAIL, type EndToEndResult } from "./pipeline-measure.ts";

/** The batches the local poller keeps in flight on the email queue (its mapping's maxConcurrency). */
export const CEILING_CONSUMERS = manifest.queues.emails?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;

export async function endToEndCeiling(h: Harness, emails: number): Promise<EndToEndResult> {
  const queueUrl = await h.benchQueue(false);
  const ses = new SESv2Client({
    endpoint: h.runtime.aws.ses.endpoint,
    region: h.runtime.sqs.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let consumed = 0;
    // When the last message is done: a consumer still in an empty long poll then must not count.
    let finished = 0;
    const consume = async () => {
      while (consumed < emails) {
        if (performance.now() - started > 120_000) throw new Error("ceiling run did not finish in 120 s");
        const out = await h.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const batch: Message[] = out.Messages ?? [];
        if (batch.length === 0) continue;
        await Promise.all(
          batch.map(async (m) => {
            await h.redis.set(`bench:ceiling:${m.MessageId}`, "done", { ex: 60 });
            await ses.send(
              new SendEmailCommand({
                FromEmailAddress: "bench@ferry.test",
                Destination: { ToAddresses: EMAIL.to },
                Content: {
                  Simple: { Subject: { Data: EMAIL.subject }, Body: { Text: { Data: EMAIL.text } } },
                },
              }),
            );
          }),
        );
        await h.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        consumed += batch.length;
        if (consumed >= emails && finished === 0) finished = performance.now();
      }
    };
    const consumers = Promise.all(Array.from({ length: CEILING_CONSUMERS }, consume));
    await closedLoop(emails, 16, async () => {
      await h.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(EMAIL) }));
    });
    await consumers;
    const done = finished;
    return {
      emails,
      perSecond: (emails / (done - started)) * 1000,
      succeeded: consumed,
      cpuMsPerEmail: cpuMsSince(cpu) / emails,
    };
  } finally {
    ses.destroy();
  }
}
