/**
 * A fresh deployment before `npm run secrets -- set`: the functions read a secret that holds no
 * Upstash token (the template's initial value). Every route answers a clear 503 problem+json that
 * names no variable, and filling the secret reaches the running functions without a restart
 * (FERRY_SECRETS_TTL_SECONDS=0 here: every invocation re-reads it). The functions read the secret
 * through the real SDK client from a local Secrets Manager.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { main as secrets } from "#infra/scripts/secrets.ts";
import { INITIAL_SECRET_VALUE } from "#infra/stack.ts";
import { call } from "#test/support/http.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { sm, useSecretsManagerEmulator } from "#test/support/secrets-manager-emulator.ts";

let runtime: LocalRuntime;
let arn: string;

// Hooks run in order and after-hooks in reverse: the emulator starts first and closes last.
useSecretsManagerEmulator();
beforeAll(async () => {
  arn = sm.create("Ferry-Secrets", INITIAL_SECRET_VALUE);
  runtime = await startTestRuntime({
    FERRY_SECRETS_ARN: arn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    FERRY_SECRETS_TTL_SECONDS: "0",
  });
});
afterAll(async () => {
  await runtime?.stop();
});

describe("a deployment whose secret is not filled in yet", () => {
  it("answers 503 configuration-incomplete on every route, naming no variable", async () => {
    const health = await call(runtime.url, "GET", "/health");
    const task = await call(runtime.url, "GET", "/v1/tasks/tsk_unknown", { key: runtime.devApiKey });

    for (const res of [health, task]) {
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBe("60");
      expect(res.body).toMatchObject({
        type: "https://ferry.dev/problems/configuration-incomplete",
        title: "Configuration incomplete",
        status: 503,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/UPSTASH|TOKEN|secret/i);
    }
  });

  it("works as soon as npm run secrets -- set fills it, without restarting a function", async () => {
    const out: string[] = [];
    const code = await secrets(["set", "--secret-id", arn], {
      client: () => new SecretsManagerClient(localClientConfig(sm.url)),
      secretIdOfStack: async () => undefined,
      readStdin: async () => `UPSTASH_REDIS_REST_TOKEN=${runtime.upstash.token}\n`,
      readFile: () => "",
      out: (line) => out.push(line),
      err: (line) => out.push(line),
    });
    expect(code).toBe(0);

    const task = await call(runtime.url, "GET", "/v1/tasks/tsk_unknown", { key: runtime.devApiKey });

    expect(task.status).toBe(404);
  });
});
