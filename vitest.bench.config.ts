/** `npm run test:bench`: the benchmark's own check, alone (it loads both cores for a minute). */
import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "./vitest.config.ts";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/bench/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    maxWorkers: 1,
  },
});
