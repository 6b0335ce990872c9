/**
 * The test runtime with its email worker's SES calls passing through a fault proxy
 * (ses-fault-proxy.ts) to the runtime's own SES emulator: the setup every file that makes SES
 * throttle, reject or hang shares. The proxy starts first (the runtime needs its endpoint) and
 * learns its target once the runtime is up; stop() stops both, the proxy even when the runtime's
 * stop fails on a local IAM denial.
 */
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { startTestRuntime } from "./runtime.ts";
import { type SesFaultProxy, startSesFaultProxy } from "./ses-fault-proxy.ts";

export interface RuntimeBehindSesProxy {
  readonly rt: LocalRuntime;
  readonly ses: SesFaultProxy;
  stop(): Promise<void>;
}

/** `env` and `options` as for startTestRuntime; AWS_ENDPOINT_URL_SESV2 is the proxy's. */
export async function startTestRuntimeBehindSesProxy(
  env: Record<string, string> = {},
  options: Parameters<typeof startTestRuntime>[1] = {},
): Promise<RuntimeBehindSesProxy> {
  const ses = await startSesFaultProxy();
  let rt: LocalRuntime;
  try {
    rt = await startTestRuntime({ ...env, AWS_ENDPOINT_URL_SESV2: ses.endpoint }, options);
  } catch (error) {
    await ses.close();
    throw error;
  }
  ses.setTarget(rt.ses.endpoint);
  return {
    rt,
    ses,
    stop: async () => {
      try {
        await rt.stop();
      } finally {
        await ses.close();
      }
    },
  };
}
