/**
 * Dead-letter queue operations for operators: look at what is there, and send it back.
 * In AWS, redrive is SQS's own StartMessageMoveTask (messages return to the queue they came
 * from). Emulators don't implement it, so locally messages are re-sent and then deleted: a
 * message is deleted only after its copy was accepted, so nothing is lost (a crash in between
 * can duplicate one, and the workers are idempotent).
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";

export interface DeadLetterQueue {
  readonly name: string;
  readonly url: string;
  readonly dlqUrl: string;
  readonly fifo: boolean;
}

export async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Up to `max` messages, left in the queue (visible again at once). */
export async function peek(sqs: SQSClient, dlqUrl: string, max = 10): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlqUrl,
      MaxNumberOfMessages: Math.min(max, 10),
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  return out.Messages ?? [];
}

/** AWS: StartMessageMoveTask from the DLQ back to its source queue. Returns the task handle. */
export async function startRedrive(sqs: SQSClient, dlqUrl: string): Promise<string> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`no ARN for ${dlqUrl}`);
  const out = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn }));
  return out.TaskHandle ?? "";
}

/** Local: re-send every DLQ message to the main queue, deleting each after its copy is queued. */
export async function resendAll(sqs: SQSClient, queue: DeadLetterQueue): Promise<number> {
  let moved = 0;
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return moved;
    for (const m of messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: m.Body ?? "",
          ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
          ...(queue.fifo
            ? {
                MessageGroupId: m.Attributes?.MessageGroupId ?? "redrive",
                // A fresh id: the original may still be inside SQS's 5-minute dedupe window.
                MessageDeduplicationId: `redrive-${m.MessageId ?? ""}-${Date.now()}`.slice(0, 128),
              }
            : {}),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.dlqUrl, ReceiptHandle: m.ReceiptHandle }));
      moved++;
    }
  }
}
