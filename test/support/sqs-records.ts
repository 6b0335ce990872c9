/** SQS records as the event source mapping hands them to a worker, for tests that call one directly. */
import { randomUUID } from "node:crypto";
import type { SQSRecord } from "aws-lambda";

export interface SqsRecordOptions {
  readonly messageId?: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount?: number;
  /** MessageGroupId, for a FIFO queue's record. */
  readonly groupId?: string;
}

export function sqsRecord(body: string, options: SqsRecordOptions = {}): SQSRecord {
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      ...(options.groupId ? { MessageGroupId: options.groupId } : {}),
    },
    messageAttributes: {},
  } as unknown as SQSRecord;
}
