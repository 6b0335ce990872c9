/**
 * The cold-start check: each function refuses to start without every variable its needs set,
 * naming all of them at once, and it reads the same need table the stack and the local runtime
 * write the variables from.
 */
import { describe, expect, it } from "vitest";
import {
  functionConfig,
  functionsConfigProblems,
  requiredVariables,
  settingsProblems,
} from "#shared/app/function-config.ts";
import { type EnvSource, isOptionalSource, manifest, NEEDS } from "#shared/app/manifest.ts";
import { ConfigError } from "#shared/config.ts";

const base = { UPSTASH_REDIS_REST_URL: "https://example.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" };

/** A value of the right shape for each variable a need sets. */
const sampleValue = (variable: string): string =>
  variable === "EMAIL_FROM" ? "ferry@example.com" : `https://${variable.toLowerCase()}.example.com/x`;

describe("functionConfig", () => {
  it("names every variable the function's needs set when they are missing, with the need", () => {
    // Prepare / Act
    const attempt = () =>
      functionConfig({ needs: ["emailQueue:consume", "ses:send", "websocket:manage"] }, base);

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/EMAIL_QUEUE_URL: is required \(emailQueue:consume: /);
    expect(attempt).toThrow(/EMAIL_FROM: is required \(ses:send: /);
    expect(attempt).toThrow(/WS_CALLBACK_URL: is required \(websocket:manage: /);
  });

  it("reports invalid values and missing variables in one error", () => {
    const attempt = () =>
      functionConfig({ needs: ["paymentQueue:send"] }, { ...base, EMAIL_RETRY_BASE_SECONDS: "abc" });

    expect(attempt).toThrow(/EMAIL_RETRY_BASE_SECONDS: .*; PAYMENTS_QUEUE_URL: is required/);
  });

  it("treats an empty string as unset", () => {
    expect(() => functionConfig({ needs: ["emailQueue:send"] }, { ...base, EMAIL_QUEUE_URL: "" })).toThrow(
      /EMAIL_QUEUE_URL: is required/,
    );
  });

  it("asks nothing of a function without needs beyond the base configuration", () => {
    expect(functionConfig({ needs: [] }, base).UPSTASH_REDIS_REST_URL).toBe(base.UPSTASH_REDIS_REST_URL);
  });

  it.each(Object.entries(manifest.functions))(
    "%s starts with exactly its needs' variables, and not without any one of them",
    (_name, spec) => {
      const required = [...requiredVariables(spec).keys()];
      const env = { ...base, ...Object.fromEntries(required.map((v) => [v, sampleValue(v)])) };
      expect(() => functionConfig(spec, env)).not.toThrow();
      for (const variable of required) {
        expect(() => functionConfig(spec, { ...env, [variable]: undefined })).toThrow(
          new RegExp(`${variable}: is required`),
        );
      }
    },
  );

  it("requires every variable of the need table that is not optional, somewhere", () => {
    const all = new Set(
      Object.values(NEEDS).flatMap((n) =>
        Object.entries<EnvSource>(n.env)
          .filter(([, source]) => !isOptionalSource(source))
          .map(([variable]) => variable),
      ),
    );
    const checked = new Set(
      Object.values(manifest.functions).flatMap((s) => [...requiredVariables(s).keys()]),
    );
    expect([...checked].sort()).toEqual([...all].sort());
  });
});

describe("functionsConfigProblems (the local runtime's check of every function at start)", () => {
  it("names a bad shared setting once, and a function's own problem with that function", () => {
    // Prepare
    const functions = { plain: { needs: [] }, sender: { needs: ["emailQueue:send" as const] } };
    const env = { ...base, RATE_LIMITS: "{", EMAIL_RETRY_BASE_SECONDS: "abc" };

    // Act
    const problems = functionsConfigProblems(functions, () => env);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^RATE_LIMITS: is not valid JSON$/),
      expect.stringMatching(/^EMAIL_RETRY_BASE_SECONDS: /),
      expect.stringMatching(/^EMAIL_QUEUE_URL: is required .* \[sender\]$/),
    ]);
  });
});

describe("settingsProblems (what cdk synth checks)", () => {
  it.each([
    ["RATE_LIMITS", "{"],
    ["RATE_LIMITS", '{"api":{"capacity":0,"refillPerSecond":1}}'],
    ["EMAIL_FROM", "not an address"],
    ["UPSTASH_REDIS_REST_URL", "nope"],
    ["EMAIL_RETRY_BASE_SECONDS", "abc"],
  ])("refuses %s=%s exactly as a function's cold start does", (variable, value) => {
    const atColdStart = () => functionConfig({ needs: [] }, { ...base, [variable]: value });

    expect(atColdStart).toThrow(new RegExp(`${variable}`));
    expect(settingsProblems({ [variable]: value })).toEqual([
      expect.stringMatching(new RegExp(`^${variable}`)),
    ]);
  });

  it("accepts what a function's cold start accepts", () => {
    expect(settingsProblems({ RATE_LIMITS: '{"emails":{"capacity":5,"refillPerSecond":0.5}}' })).toEqual([]);
  });
});
