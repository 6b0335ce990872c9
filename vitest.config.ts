import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: more workers only add contention for the emulators and redis-server.
    maxWorkers: 2,
    // Handlers log through Powertools; tests assert on behaviour, so keep their output readable.
    env: { POWERTOOLS_LOG_LEVEL: "SILENT" },
  },
});
