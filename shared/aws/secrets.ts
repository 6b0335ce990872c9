/**
 * Reads the container's secret (FERRY_SECRETS_ARN) at cold start and after each TTL. Loaded with a dynamic import by
 * shared/config.ts, so a function pays for this client only when a secret is configured. The
 * endpoint is the SDK's (AWS_ENDPOINT_URL_SECRETS_MANAGER, read by the SDK itself, overrides it).
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type CallBudget, timedHttpHandler } from "./http-handler.ts";
import { traced } from "./tracer.ts";

/** A cold start waits for this, inside the first invocation: give up in ~4 s, not at the timeout. */
export const SECRETS_BUDGET: CallBudget = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  maxAttempts: 2,
};

export async function readSecretString(secretId: string): Promise<string | undefined> {
  const client = traced(
    new SecretsManagerClient({
      requestHandler: timedHttpHandler(SECRETS_BUDGET),
      maxAttempts: SECRETS_BUDGET.maxAttempts,
    }),
  );
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } finally {
    // Read once per TTL (minutes apart): keep no idle keep-alive socket open meanwhile.
    client.destroy();
  }
}
