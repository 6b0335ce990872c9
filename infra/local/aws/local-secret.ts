/**
 * The functions' secret on an external Secrets Manager (FERRY_LOCAL_SECRETS_ENDPOINT): with it set,
 * the local runtime does what the stack and `npm run secrets -- set` do on AWS, and the functions
 * read their secrets by reference (FERRY_SECRETS_ARN, shared/config.ts), never as plain variables.
 *
 * At start the secret (FERRY_LOCAL_SECRET_ID, default `ferry-local`) is created if missing. Its
 * keys are yours and are never overwritten; a key it lacks is filled from the environment or the
 * dev default (what the in-process mode would have used), so a fresh secret works at once. The one
 * key the runtime owns is UPSTASH_REDIS_REST_TOKEN: the local Upstash proxy makes a new token at
 * every start, and a stale one in the secret would lock every function out of Redis.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { SECRET_KEYS } from "#shared/config.ts";

export interface LocalSecret {
  readonly arn: string;
  /** What the secret holds now (the functions overlay it on their environment). */
  readonly values: Readonly<Record<string, string>>;
  /** Whether this start created it. */
  readonly created: boolean;
}

const isNotFound = (error: unknown) => (error as { name?: string }).name === "ResourceNotFoundException";

/** The secret's JSON object; anything else is refused, naming the secret. */
function parseValues(secretId: string, text: string | undefined): Record<string, string> {
  if (text === undefined || text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the secret ${secretId} does not hold a JSON object (as the stack's secret does)`);
  }
  return Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

export async function ensureLocalSecret(options: {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** The runtime's settings: where a key the secret lacks takes its value from. */
  readonly settings: Readonly<Record<string, string>>;
  readonly upstashToken: string;
}): Promise<LocalSecret> {
  const { client, secretId } = options;
  let arn: string | undefined;
  let current: Record<string, string> = {};
  try {
    arn = (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).ARN;
    try {
      current = parseValues(
        secretId,
        (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
      );
    } catch (error) {
      // A secret with no value yet (as the stack's would be before `secrets set`): filled below.
      if (!isNotFound(error)) throw error;
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }

  const filled: Record<string, string> = {};
  for (const key of SECRET_KEYS) {
    const fallback = options.settings[key];
    if (current[key] === undefined && fallback !== undefined) filled[key] = fallback;
  }
  const values = { ...filled, ...current, UPSTASH_REDIS_REST_TOKEN: options.upstashToken };
  const secretString = JSON.stringify(values);

  if (!arn) {
    const created = await client.send(
      new CreateSecretCommand({ Name: secretId, SecretString: secretString }),
    );
    if (!created.ARN) throw new Error(`creating the secret ${secretId} returned no ARN`);
    return { arn: created.ARN, values, created: true };
  }
  await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: secretString }));
  return { arn, values, created: false };
}
