/**
 * A cold start as Lambda runs it, for the tracing test (test/aws/tracing.test.ts): run with
 * Lambda's environment (AWS_EXECUTION_ENV, _X_AMZN_TRACE_ID, AWS_XRAY_DAEMON_ADDRESS…), it makes
 * one Upstash call through the production Redis client and one SendMessage through the functions'
 * SQS client, then exits once shared/aws/tracer.ts has had time to send their subsegments.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { parseConfig } from "#shared/config.ts";
import { createRedisClient } from "#shared/redis/client.ts";

const config = parseConfig(process.env);
const redis = createRedisClient({
  url: config.UPSTASH_REDIS_REST_URL,
  token: config.UPSTASH_REDIS_REST_TOKEN,
  timeoutMs: 2000,
});
await redis.set("trace-probe", "1");
await sqsClient(config).send(
  new SendMessageCommand({ QueueUrl: config.EMAIL_QUEUE_URL, MessageBody: JSON.stringify({ probe: true }) }),
);
// Subsegments leave over UDP as they close; give the datagrams a moment before exiting.
await new Promise((resolve) => setTimeout(resolve, 300));
console.log("probe done");
