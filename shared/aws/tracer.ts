/**
 * X-Ray through Powertools Tracer: every AWS SDK client is wrapped (captureAWSv3Client), and
 * outgoing fetch calls, which is how @upstash/redis reaches Upstash, are captured by the tracer
 * itself (captureHTTPsRequests), so a trace shows each SES, SQS, Secrets Manager,
 * @connections and Upstash call with its latency and errors. The tracer only works in Lambda
 * (it checks AWS_EXECUTION_ENV), so it is loaded only there: the local runtime and tests skip the
 * ~100 ms the X-Ray SDK costs each sandbox to load. esbuild still bundles it (a literal import).
 */
import type { Tracer } from "@aws-lambda-powertools/tracer";

const inLambda = Boolean(process.env.AWS_EXECUTION_ENV) && process.env.POWERTOOLS_TRACE_ENABLED !== "false";

export const tracer: Tracer | undefined = inLambda
  ? new (await import("@aws-lambda-powertools/tracer")).Tracer({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME || "ferry",
    })
  : undefined;

/** The client, its calls traced as subsegments (as it is, outside Lambda). */
export function traced<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}
