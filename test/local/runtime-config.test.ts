/**
 * The local runtime runs every function's cold-start check before it says it is ready: a bad
 * setting stops it at start, naming every bad variable, instead of leaving a runtime that
 * answers 500 on every route.
 */
import { describe, expect, it } from "vitest";
import { startTestRuntime } from "#test/support/runtime.ts";

describe("local runtime configuration check", () => {
  it("refuses to start on invalid settings and names every bad variable", async () => {
    // Act
    const starting = startTestRuntime({ RATE_LIMITS: "{", EMAIL_RETRY_BASE_SECONDS: "abc" });

    // Assess
    const error = await starting.then(
      async (runtime) => {
        await runtime.stop();
        return new Error("started");
      },
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/^Invalid configuration:/);
    expect(error.message).toMatch(/RATE_LIMITS: is not valid JSON/);
    expect(error.message).toMatch(/EMAIL_RETRY_BASE_SECONDS: /);
  });

  it("starts on valid settings", async () => {
    const runtime = await startTestRuntime({ EMAIL_RETRY_BASE_SECONDS: "1" });
    try {
      expect(runtime.environmentOf("emailWorker").EMAIL_RETRY_BASE_SECONDS).toBe("1");
    } finally {
      await runtime.stop();
    }
  });
});
