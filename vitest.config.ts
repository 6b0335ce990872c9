import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The benchmark's check runs on its own (`npm run test:bench`): it would starve the others.
    exclude: ["test/bench/**", "**/node_modules/**"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: more workers only add contention for the emulators and redis-server.
    maxWorkers: 2,
    // Handlers log through Powertools; tests assert on behaviour, so keep their output readable.
    // Tests act as an operator would with the emulators: dummy credentials, never real ones.
    env: {
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
