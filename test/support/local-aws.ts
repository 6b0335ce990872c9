/**
 * The test's own AWS SDK clients, aimed at a local emulator or the local AWS edge: one region and
 * one pair of dummy credentials (the emulators check neither; the edge treats a key it did not
 * issue to a function as the operator's).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type SqsEmulator,
  type SqsEmulatorOptions,
  startSqsEmulator,
} from "#infra/local/aws/sqs-emulator.ts";

export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** `region`, `endpoint` and `credentials` for any SDK client of the test's own. */
export const localClientConfig = (endpoint: string) => ({
  region: "us-east-1",
  endpoint,
  credentials: LOCAL_CREDENTIALS,
});

export interface SqsEmulatorWithClient {
  readonly emulator: SqsEmulator;
  readonly sqs: SQSClient;
  stop(): Promise<void>;
}

/** An SQS emulator with `options.queues`, and a client aimed at it; stop() ends both. */
export async function startSqsEmulatorWithClient(
  options: SqsEmulatorOptions,
): Promise<SqsEmulatorWithClient> {
  const emulator = await startSqsEmulator(options);
  const sqs = new SQSClient(localClientConfig(emulator.endpoint));
  return {
    emulator,
    sqs,
    stop: async () => {
      sqs.destroy();
      await emulator.stop();
    },
  };
}
