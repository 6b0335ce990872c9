/**
 * The container's secret (FERRY_SECRETS_ARN) is read at cold start and again after
 * FERRY_SECRETS_TTL_SECONDS, through shared/aws/secrets.ts against a local Secrets Manager: a
 * rotated Upstash token reaches warm containers, an unchanged one keeps the clients built from it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { forgetSecretRead, loadEnvironment } from "#shared/config.ts";
import { getDeps } from "#shared/deps.ts";
import { sm, useSecretsManagerEmulator } from "#test/support/secrets-manager-emulator.ts";

useSecretsManagerEmulator();
beforeEach(() => {
  forgetSecretRead();
  vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.url);
  vi.stubEnv("UPSTASH_REDIS_REST_URL", "https://test-ferry.upstash.io");
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const gets = () => sm.calls.filter((c) => c === "GetSecretValue").length;

describe("the container's secret", () => {
  it("is read once within its TTL, however many invocations ask", async () => {
    vi.stubEnv("FERRY_SECRETS_ARN", sm.create("ttl", JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "t1" })));
    vi.stubEnv("FERRY_SECRETS_TTL_SECONDS", "300");
    const before = gets();

    const first = await loadEnvironment();
    const second = await loadEnvironment();

    expect(gets() - before).toBe(1);
    expect(second).toBe(first);
    expect(first.UPSTASH_REDIS_REST_TOKEN).toBe("t1");
  });

  it("reaches warm containers after its TTL when rotated; unchanged, the clients are kept", async () => {
    const arn = sm.create("rotate", JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "old-token" }));
    vi.stubEnv("FERRY_SECRETS_ARN", arn);
    vi.stubEnv("FERRY_SECRETS_TTL_SECONDS", "0");
    const spec = { needs: [] } as const;

    const cold = await getDeps(spec);
    const warm = await getDeps(spec);
    await fetch(sm.url, {
      method: "POST",
      headers: {
        "x-amz-target": "secretsmanager.PutSecretValue",
        "content-type": "application/x-amz-json-1.1",
      },
      body: JSON.stringify({
        SecretId: arn,
        SecretString: JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "new-token" }),
      }),
    });
    const rotated = await getDeps(spec);

    expect(cold.config.UPSTASH_REDIS_REST_TOKEN).toBe("old-token");
    expect(warm).toBe(cold);
    expect(rotated.config.UPSTASH_REDIS_REST_TOKEN).toBe("new-token");
    expect(rotated.redis).not.toBe(cold.redis);
  });

  it("keeps the values it has when a refresh fails, rather than failing a working container", async () => {
    vi.stubEnv("FERRY_SECRETS_ARN", sm.create("flaky", JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "t1" })));
    vi.stubEnv("FERRY_SECRETS_TTL_SECONDS", "0");
    await loadEnvironment();
    vi.stubEnv("FERRY_SECRETS_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:gone-000000");

    const env = await loadEnvironment();

    expect(env.UPSTASH_REDIS_REST_TOKEN).toBe("t1");
  });

  it("fails the first read loudly when the secret cannot be read, and tries again next time", async () => {
    vi.stubEnv("FERRY_SECRETS_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:missing-000000");

    await expect(loadEnvironment()).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const before = gets();
    await expect(loadEnvironment()).rejects.toThrow();
    expect(gets() - before).toBe(1);
  });
});
