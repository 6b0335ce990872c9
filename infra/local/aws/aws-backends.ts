/**
 * What stands behind the local AWS edge for each service: the in-process emulator, or the external
 * endpoint a FERRY_LOCAL_*_ENDPOINT variable names (external-endpoints.ts), made ready for Ferry:
 * the manifest's queues ensured on an external SQS, the functions' secret on an external Secrets
 * Manager. A failure on an external endpoint is a start-up error naming its variable.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { QueueName, QueueSpec } from "#shared/app/manifest.ts";
import { type ExternalAws, endpointError } from "./external-endpoints.ts";
import { ensureLocalSecret, type LocalSecret } from "./local-secret.ts";
import { type OutboxEmail, readOutbox, startSesEmulator } from "./ses-emulator.ts";
import { type EmulatedQueue, ensureQueues, type QueueCreation, startSqsEmulator } from "./sqs-emulator.ts";

/** Registers a stop step (the runtime stops them in reverse order). */
type OnStop = (name: string, run: () => Promise<void> | void) => void;

export interface SqsBackend {
  readonly endpoint: string;
  readonly queueUrls: Partial<Record<QueueName, EmulatedQueue>>;
  /** External only: the queues this start created and those it found there. */
  readonly creation?: QueueCreation;
}

export async function startSqsBackend(options: {
  readonly external: ExternalAws;
  readonly queues: Partial<Record<QueueName, QueueSpec>>;
  readonly region: string;
  readonly onStop: OnStop;
}): Promise<SqsBackend> {
  const endpoint = options.external.endpoints.sqs;
  if (!endpoint) {
    const emulator = await startSqsEmulator({ queues: options.queues, region: options.region });
    options.onStop("SQS emulator", () => emulator.stop());
    return emulator;
  }
  const admin = new SQSClient({
    endpoint: endpoint.url,
    region: options.region,
    credentials: options.external.credentials,
  });
  try {
    const ensured = await ensureQueues(admin, options.queues);
    return { endpoint: endpoint.url, queueUrls: ensured.queueUrls, creation: ensured.creation };
  } catch (error) {
    throw endpointError("sqs", endpoint, `could not create the queues (${(error as Error).message})`);
  } finally {
    admin.destroy();
  }
}

export interface SesBackend {
  readonly endpoint: string;
  outbox(): Promise<OutboxEmail[]>;
}

export async function startSesBackend(options: {
  readonly external: ExternalAws;
  readonly onStop: OnStop;
}): Promise<SesBackend> {
  const endpoint = options.external.endpoints.ses;
  if (endpoint) return { endpoint: endpoint.url, outbox: () => readOutbox(endpoint.url) };
  const emulator = await startSesEmulator();
  options.onStop("SES emulator", () => emulator.stop());
  return emulator;
}

/** The functions' secret on the external Secrets Manager; undefined when there is none. */
export async function provideSecret(options: {
  readonly external: ExternalAws;
  readonly region: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly upstashToken: string;
}): Promise<LocalSecret | undefined> {
  const endpoint = options.external.endpoints.secrets;
  if (!endpoint) return undefined;
  const { secretId, credentials } = options.external;
  const client = new SecretsManagerClient({ endpoint: endpoint.url, region: options.region, credentials });
  try {
    return await ensureLocalSecret({
      client,
      secretId,
      settings: options.settings,
      upstashToken: options.upstashToken,
    });
  } catch (error) {
    throw endpointError(
      "secrets",
      endpoint,
      `could not provide the secret ${secretId} (${(error as Error).message})`,
    );
  } finally {
    client.destroy();
  }
}
