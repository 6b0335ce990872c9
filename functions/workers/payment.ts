/** SQS payments FIFO queue → payment records and receipt emails. Glue: deps, then shared/payments/batch.ts. */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { required } from "#shared/config.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { processPaymentBatch } from "#shared/payments/batch.ts";

async function run(event: SQSEvent): Promise<SQSBatchResponse> {
  const { config, redis } = await getDeps();
  return processPaymentBatch(
    {
      redis,
      sqs: sqsClient(config),
      emailQueueUrl: required(config, "EMAIL_QUEUE_URL"),
      paymentsQueueUrl: required(config, "PAYMENTS_QUEUE_URL"),
    },
    event.Records,
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(run).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
