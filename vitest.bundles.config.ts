/**
 * `npm run test:bundles`: end-to-end specs run against the esbuild bundles in cdk.out (the code a
 * deployment ships, AWS SDK included) instead of the TypeScript sources. Only specs that talk to
 * the runtime over its public surface (faults injected at the local AWS edge, not inside a
 * handler's module state) are listed.
 */
import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "./vitest.config.ts";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: [
      "test/ratelimit/e2e.test.ts",
      "test/realtime/email-e2e.test.ts",
      "test/email/circuit-e2e.test.ts",
      "test/local/latency-proxy.test.ts",
      "test/email/e2e.test.ts",
      "test/payments/e2e-effects.test.ts",
      "test/delivery/lifecycle-e2e.test.ts",
    ],
    env: { ...sharedTestOptions.env, FERRY_TEST_BUNDLES: "cdk.out" },
  },
});
