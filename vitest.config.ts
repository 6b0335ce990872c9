/**
 * Two lanes, both run by `npm test`: `unit` (a module against a real redis-server at most) and
 * `e2e` (anything that starts the local runtime or an AWS emulator). A file belongs to `e2e` when
 * it starts one, so a new test lands in the right lane by what it does, not by its name.
 * `npm run test:unit` / `npm run test:e2e` run one lane.
 */
import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const E2E_MARKERS =
  /startTestRuntime|startLocalRuntime|startHarness|useRealtimeHarness|testRuntimeForFile|startPaymentsHarness|usePaymentsHarness|startSqsEmulator|startSesEmulator|runScriptToExit|spawn\(/;

// Node 20 has no fs.globSync: a recursive listing does the same here.
const testFiles = readdirSync("test", { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".test.ts"))
  // The benchmark's check runs on its own (`npm run test:bench`): beside others it starves them.
  .filter((file) => !file.startsWith("bench/"))
  .map((file) => `test/${file}`);
const e2eFiles = testFiles.filter((file) => E2E_MARKERS.test(readFileSync(file, "utf8")));
const unitFiles = testFiles.filter((file) => !e2eFiles.includes(file));

/** Options every lane shares (vitest.bundles.config.ts reuses them). */
export const sharedTestOptions = {
  globalSetup: ["test/support/global-setup.ts"],
  pool: "forks" as const,
  testTimeout: 20_000,
  hookTimeout: 30_000,
  // Two cores: more workers only add contention for the emulators and redis-server.
  maxWorkers: 2,
  // Handlers log through Powertools; tests assert on behaviour, so keep their output readable.
  // Tests act as an operator would with the emulators: dummy credentials, never real ones.
  env: {
    POWERTOOLS_LOG_LEVEL: "SILENT",
    // EMF lines would bypass vitest's console capture; test/metrics turns them back on.
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  },
};

export default defineConfig({
  test: {
    ...sharedTestOptions,
    projects: [
      { extends: true, test: { name: "unit", include: unitFiles } },
      { extends: true, test: { name: "e2e", include: e2eFiles } },
    ],
  },
});
