/** SQS payments FIFO queue → payment records and receipt emails. Glue: deps, then shared/payments/batch.ts. */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { payments } from "#shared/app/payments.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { processPaymentBatch } from "#shared/payments/batch.ts";
import { providerVerifiersFromConfig } from "#shared/webhooks/provider-verifiers.ts";

async function run(event: SQSEvent): Promise<SQSBatchResponse> {
  const { config, redis } = await getDeps(payments.functions.paymentWorker);
  return processPaymentBatch(
    {
      redis,
      sqs: sqsClient(config),
      emailQueueUrl: config.EMAIL_QUEUE_URL,
      paymentsQueueUrl: config.PAYMENTS_QUEUE_URL,
      // Empty unless a <PROVIDER>_VERIFY_WITH_PROVIDER switch is on (off by default).
      verifiers: providerVerifiersFromConfig(config),
    },
    event.Records,
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(run).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
