import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "#shared/config.ts";

const base = { UPSTASH_REDIS_REST_URL: "https://db.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" };

describe("configuration", () => {
  it("parses a minimal environment with defaults", () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({
      REDIS_TIMEOUT_MS: 1000,
      MAX_BODY_BYTES: 262_144,
      EMAIL_RETRY_BASE_SECONDS: 2,
    });
  });

  it("fails naming every missing or invalid variable", () => {
    const attempt = () =>
      parseConfig({ UPSTASH_REDIS_REST_URL: "not a url", EMAIL_FROM: "nobody", REDIS_TIMEOUT_MS: "-5" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/UPSTASH_REDIS_REST_URL/);
    expect(attempt).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
    expect(attempt).toThrow(/EMAIL_FROM/);
    expect(attempt).toThrow(/REDIS_TIMEOUT_MS/);
  });

  it("splits comma-separated secrets for rotation and refuses an empty list", () => {
    expect(
      parseConfig({ ...base, STRIPE_WEBHOOK_SECRET: "whsec_new, whsec_old" }).STRIPE_WEBHOOK_SECRET,
    ).toEqual(["whsec_new", "whsec_old"]);
    expect(() => parseConfig({ ...base, PAYU_MERCHANT_SALT: " , " })).toThrow(/PAYU_MERCHANT_SALT/);
  });

  it("refuses RATE_LIMITS that is not JSON or names an unknown policy", () => {
    expect(() => parseConfig({ ...base, RATE_LIMITS: "{oops" })).toThrow(/RATE_LIMITS.*not valid JSON/);
    expect(() =>
      parseConfig({ ...base, RATE_LIMITS: '{"bogus":{"capacity":1,"refillPerSecond":1}}' }),
    ).toThrow(/RATE_LIMITS/);
    expect(
      parseConfig({ ...base, RATE_LIMITS: '{"emails":{"capacity":60,"refillPerSecond":0.5}}' }).RATE_LIMITS,
    ).toEqual({ emails: { capacity: 60, refillPerSecond: 0.5 } });
  });

  it("accepts any capacity of at least 1, and a shadow mode, in RATE_LIMITS", () => {
    // A request costing more than the capacity is refused with a 422, not every function at cold start.
    expect(
      parseConfig({ ...base, RATE_LIMITS: '{"emails":{"capacity":1,"refillPerSecond":0.1,"mode":"shadow"}}' })
        .RATE_LIMITS,
    ).toEqual({ emails: { capacity: 1, refillPerSecond: 0.1, mode: "shadow" } });
    expect(() =>
      parseConfig({ ...base, RATE_LIMITS: '{"emails":{"capacity":0,"refillPerSecond":1}}' }),
    ).toThrow(/RATE_LIMITS/);
  });

  it("defaults the rate limiter's Redis budget and breaker, and names a bad value", () => {
    expect(parseConfig(base)).toMatchObject({
      RATE_LIMIT_TIMEOUT_MS: 1000,
      RATE_LIMIT_BREAKER_FAILURES: 3,
      RATE_LIMIT_BREAKER_COOLDOWN_MS: 1000,
    });
    expect(() => parseConfig({ ...base, RATE_LIMIT_TIMEOUT_MS: "0" })).toThrow(/RATE_LIMIT_TIMEOUT_MS/);
  });
});

describe("switches that need credentials", () => {
  const base = { UPSTASH_REDIS_REST_URL: "https://db.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" };

  it("refuses verify-with-provider switched on without its credentials, naming each", () => {
    const attempt = () =>
      parseConfig({ ...base, STRIPE_VERIFY_WITH_PROVIDER: "true", RAZORPAY_VERIFY_WITH_PROVIDER: "true" });
    expect(attempt).toThrow(/STRIPE_API_KEY: is required when STRIPE_VERIFY_WITH_PROVIDER is on/);
    expect(attempt).toThrow(/RAZORPAY_KEY_ID: is required.*RAZORPAY_KEY_SECRET: is required/);
  });

  it("accepts a switch with its credentials", () => {
    expect(
      parseConfig({ ...base, STRIPE_VERIFY_WITH_PROVIDER: "true", STRIPE_API_KEY: "sk_test_x" }),
    ).toMatchObject({ STRIPE_VERIFY_WITH_PROVIDER: true });
  });
});
