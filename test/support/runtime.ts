/**
 * The local runtime as end-to-end tests use it: quiet, no state file, on the run's private Redis,
 * and with rate limits far above what a test sends (tests that are about rate limiting set their
 * own). `db` puts the runtime on its own Redis database, for tests that change deployment-wide
 * state (such as the SES circuit breaker) that other files' runtimes would otherwise see. With
 * FERRY_TEST_BUNDLES=<cdk.out> the functions are the synthesized bundles instead of the sources.
 */
import { inject } from "vitest";
import { type LocalManifest, type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { bundledManifest } from "./bundled-manifest.ts";
import { forFile } from "./for-file.ts";

export const GENEROUS_RATE_LIMITS = JSON.stringify({
  api: { capacity: 100_000, refillPerSecond: 10_000 },
  emails: { capacity: 100_000, refillPerSecond: 10_000 },
  webhooks: { capacity: 100_000, refillPerSecond: 10_000 },
});

/**
 * Fails the run when a function made an AWS call its role does not allow (local IAM), even where
 * the code handled the refusal: a grant missing on AWS must not pass quietly.
 */
export function assertNoDenials(runtime: LocalRuntime): void {
  const denials = runtime.iam.denials;
  if (denials.length > 0) {
    throw new Error(
      `local IAM refused ${denials.length} call(s): ${denials
        .map((d) => `${d.functionName} ${d.action} on ${d.resource}`)
        .join("; ")}`,
    );
  }
}

/** Email retries a second apart: a test watching SES faults sees every attempt quickly. */
export const ONE_SECOND_EMAIL_RETRIES = { EMAIL_RETRY_BASE_SECONDS: "1", EMAIL_RETRY_MAX_SECONDS: "1" };

export interface TestRuntimeOptions {
  db?: number;
  manifest?: LocalManifest;
  expectDenials?: boolean;
}

/**
 * One startTestRuntime(env, options) for the whole file: started before its first test (handed
 * to `use`), stopped after its last, where an IAM denial fails the file.
 */
export function testRuntimeForFile(
  env: Record<string, string>,
  options: TestRuntimeOptions,
  use: (runtime: LocalRuntime) => unknown,
): void {
  forFile(() => startTestRuntime(env, options), use);
}

export async function startTestRuntime(
  env: Record<string, string> = {},
  options: TestRuntimeOptions = {},
): Promise<LocalRuntime> {
  const redisUrl = inject("redisUrl") + (options.db ? `/${options.db}` : "");
  const runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl,
    env: { RATE_LIMITS: GENEROUS_RATE_LIMITS, ...env },
    // `npm run test:bundles`: the same tests against the esbuild bundles a deployment ships.
    ...(process.env.FERRY_TEST_BUNDLES ? { manifest: bundledManifest(process.env.FERRY_TEST_BUNDLES) } : {}),
    ...(options.manifest ? { manifest: options.manifest } : {}),
  });
  if (options.expectDenials) return runtime;
  return {
    ...runtime,
    stop: async () => {
      await runtime.stop();
      assertNoDenials(runtime);
    },
  };
}
