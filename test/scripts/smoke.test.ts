/**
 * `npm run smoke` against the local runtime, the way an operator runs it against a deployment:
 * every step passes on a healthy target (exit 0), and a broken one names its failing step (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { main as smoke } from "#infra/scripts/smoke.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

// Whole end-to-end runs through the local runtime: seconds alone, far more on busy cores.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

async function run(argv: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await smoke(argv, { env, out: (line) => lines.push(line) });
  return { code, lines, text: lines.join("\n") };
}

describe("npm run smoke", () => {
  it("passes every step against a working deployment, webhooks of each configured provider included", async () => {
    const secrets = runtime.webhookSecrets;

    const result = await run(
      ["--base-url", `${runtime.url}/`, "--api-key", runtime.devApiKey, "--timeout-seconds", "30"],
      {
        STRIPE_WEBHOOK_SECRET: secrets.stripe,
        RAZORPAY_WEBHOOK_SECRET: secrets.razorpay,
        PAYU_MERCHANT_KEY: secrets.payuMerchantKey,
        PAYU_MERCHANT_SALT: secrets.payuMerchantSalt,
      },
    );

    expect(result.text).not.toContain("✗");
    expect(result.code).toBe(0);
    for (const name of [
      "health",
      "email accepted",
      "rate-limit headers",
      "websocket subscribed",
      "email succeeded",
      "websocket push",
      "webhook stripe",
      "webhook razorpay",
      "webhook payu",
    ]) {
      expect(
        result.lines.some((l) => l.startsWith(`✓ ${name} (`)),
        name,
      ).toBe(true);
    }
    expect(result.lines.at(-1)).toMatch(/^smoke: PASS \(9 steps/);
  });

  it("names the failing step and exits 1 when the API key is wrong, skipping what depends on it", async () => {
    const result = await run([
      "--base-url",
      runtime.url,
      "--api-key",
      "not-a-real-key",
      "--timeout-seconds",
      "5",
    ]);

    expect(result.code).toBe(1);
    expect(result.text).toContain("✓ health");
    expect(result.text).toMatch(/✗ email accepted: POST \/v1\/emails answered 401, expected 202/);
    expect(result.text).toContain("- email succeeded: skipped");
    expect(result.lines.at(-1)).toMatch(/^smoke: FAIL at email accepted/);
  });

  it("names a webhook whose secret does not match the deployment's", async () => {
    const result = await run(
      ["--base-url", runtime.url, "--api-key", runtime.devApiKey, "--timeout-seconds", "30"],
      {
        STRIPE_WEBHOOK_SECRET: "whsec_not_the_deployments",
      },
    );

    expect(result.code).toBe(1);
    expect(result.text).toMatch(/✗ webhook stripe: POST \/v1\/webhooks\/stripe answered 401/);
  });

  it("refuses to run without --base-url and --api-key", async () => {
    expect((await run([])).code).toBe(2);
  });
});
