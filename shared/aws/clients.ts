/**
 * AWS SDK clients, created once per container from config. Endpoints come from config (set by
 * the local runtime and tests to point the real SDK at emulators); in AWS they are unset and the
 * SDK's regional defaults apply. Each client's retry and timeout policy is chosen per use below.
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Config } from "#shared/config.ts";

const memo = <T, C extends Config = Config>(make: (config: C) => T) => {
  let value: T | undefined;
  return (config: C): T => {
    value ??= make(config);
    return value;
  };
};

export const sqsClient = memo(
  (config) =>
    new SQSClient({
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL_SQS ? { endpoint: config.AWS_ENDPOINT_URL_SQS } : {}),
      // An API call answers 503 when the enqueue fails: keep the worst case (~4.5 s) well inside
      // the HTTP functions' 10 s timeout. A retried SendMessage can queue an email twice; both
      // copies carry one task id and the worker's send lease lets only one reach SES.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 2000 }),
      maxAttempts: 2,
    }),
);

/**
 * SES: no SDK retries. The email worker owns retries (backoff through SQS visibility, a circuit
 * breaker) and must know of every call it made, to keep "at most one send per task".
 */
export const sesClient = memo(
  (config) =>
    new SESv2Client({
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL_SESV2 ? { endpoint: config.AWS_ENDPOINT_URL_SESV2 } : {}),
      requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 10_000 }),
      maxAttempts: 1,
    }),
);

/** The WebSocket API's @connections endpoint (WS_CALLBACK_URL). */
export const managementApiClient = memo(
  (config: Config & { readonly WS_CALLBACK_URL: string }) =>
    new ApiGatewayManagementApiClient({
      region: config.AWS_REGION,
      endpoint: config.WS_CALLBACK_URL,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 3000 }),
      maxAttempts: 2,
    }),
);
