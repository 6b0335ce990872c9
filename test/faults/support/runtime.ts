/**
 * The local runtime as the fault suite runs it: the app's own functions, with the email worker's
 * timeout and its queue's visibility timeout cut to seconds (AWS's are 30 s and 180 s), so that a
 * batch that failed with its worker comes back within the suite's time budget. Not shorter: a
 * cold sandbox (tsx compiling the handler) can take seconds on a loaded CI machine, and a timeout
 * shorter than that would time out every fresh sandbox, for ever.
 */
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";
import { GENEROUS_RATE_LIMITS } from "#test/support/runtime.ts";

export function startFaultRuntime(redisUrl: string, env: Record<string, string> = {}): Promise<LocalRuntime> {
  const emailWorker = manifest.functions.emailWorker;
  const emails = manifest.queues.emails;
  if (!emailWorker || !emails) throw new Error("manifest without the email worker");
  return startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl,
    env: {
      RATE_LIMITS: GENEROUS_RATE_LIMITS,
      EMAIL_RETRY_BASE_SECONDS: "1",
      EMAIL_RETRY_MAX_SECONDS: "2",
      ...env,
    },
    manifest: {
      ...manifest,
      functions: { ...manifest.functions, emailWorker: { ...emailWorker, timeoutSeconds: 6 } },
      queues: { ...manifest.queues, emails: { ...emails, visibilityTimeoutSeconds: 8 } },
    },
  });
}
