/**
 * The local runtime as end-to-end tests use it: quiet, no state file, on the run's private Redis,
 * and with rate limits far above what a test sends (tests that are about rate limiting set their
 * own). `db` puts the runtime on its own Redis database, for tests that change deployment-wide
 * state (such as the SES circuit breaker) that other files' runtimes would otherwise see. With
 * FERRY_TEST_BUNDLES=<cdk.out> the functions are the synthesized bundles instead of the sources.
 */
import { inject } from "vitest";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { bundledManifest } from "./bundled-manifest.ts";

export const GENEROUS_RATE_LIMITS = JSON.stringify({
  api: { capacity: 100_000, refillPerSecond: 10_000 },
  emails: { capacity: 100_000, refillPerSecond: 10_000 },
  webhooks: { capacity: 100_000, refillPerSecond: 10_000 },
});

export function startTestRuntime(
  env: Record<string, string> = {},
  options: { db?: number } = {},
): Promise<LocalRuntime> {
  const redisUrl = inject("redisUrl") + (options.db ? `/${options.db}` : "");
  return startLocalRuntime({
    port: 0,
    quiet: true,
    stateFile: false,
    redisUrl,
    env: { RATE_LIMITS: GENEROUS_RATE_LIMITS, ...env },
    // `npm run test:bundles`: the same tests against the esbuild bundles a deployment ships.
    ...(process.env.FERRY_TEST_BUNDLES ? { manifest: bundledManifest(process.env.FERRY_TEST_BUNDLES) } : {}),
  });
}
