/**
 * The WebSocket management API an operator CLI closes connections through: WS_CALLBACK_URL when
 * set (a deployed stack: `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, signed with
 * the operator's own AWS credentials), else the running local runtime's `@connections` endpoint.
 * Undefined when neither is known: callers then only forget connections in Redis.
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { readLocalState } from "#infra/local/process/local-state.ts";

export function resolveManagementApiForCli(): ApiGatewayManagementApiClient | undefined {
  const configured = process.env.WS_CALLBACK_URL;
  if (configured) return new ApiGatewayManagementApiClient({ endpoint: configured, maxAttempts: 2 });
  // A deployed stack's Redis without its callback URL: do not guess a local one.
  if (process.env.UPSTASH_REDIS_REST_URL) return undefined;
  const local = readLocalState();
  if (!local) return undefined;
  return new ApiGatewayManagementApiClient({
    endpoint: local.callbackUrl,
    region: local.sqs.region,
    // The local endpoint does not check signatures, but the SDK signs every call.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}
