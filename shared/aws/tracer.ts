/**
 * X-Ray through Powertools Tracer: every AWS SDK client is wrapped (captureAWSv3Client), and
 * outgoing fetch calls, which is how @upstash/redis reaches Upstash, are captured by the tracer
 * itself (captureHTTPsRequests), so a trace shows each SES, SQS, Secrets Manager,
 * @connections and Upstash call with its latency and errors. Off outside Lambda (the tracer
 * checks AWS_EXECUTION_ENV), so the local runtime and tests pay nothing.
 */
import { Tracer } from "@aws-lambda-powertools/tracer";

export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || "ferry" });

/** The client, its calls traced as subsegments. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
