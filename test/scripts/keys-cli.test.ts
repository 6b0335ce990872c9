import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "#infra/scripts/keys.ts";
import { authenticateApiKey, hashApiKey } from "#shared/auth/api-keys.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
  vi.stubEnv("UPSTASH_REDIS_REST_URL", t.url);
  vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", t.token);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi
    .spyOn(console, "error")
    .mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("npm run keys", () => {
  it("creates a key, shows the secret once, and stores only its SHA-256", async () => {
    const created = await run("create", "--name", "billing", "--scopes", "emails:send,tasks:read", "--json");
    const { secret, keyId, scopes } = JSON.parse(created.out) as {
      secret: string;
      keyId: string;
      scopes: string[];
    };

    expect(created.code).toBe(0);
    expect(scopes).toEqual(["emails:send", "tasks:read"]);
    expect(await authenticateApiKey(t.redis, secret)).toMatchObject({ keyId, name: "billing" });
    expect(await t.redis.get(`ferry:apikey:${hashApiKey(secret)}`)).not.toContain(secret);
    const listed = await run("list");
    expect(listed.out).toContain(keyId);
    expect(listed.out).not.toContain(secret);
  });

  it("revokes a key so it no longer authenticates", async () => {
    const created = JSON.parse(
      (await run("create", "--name", "tmp", "--scopes", "tasks:read", "--json")).out,
    ) as {
      secret: string;
      keyId: string;
    };

    expect((await run("revoke", created.keyId)).code).toBe(0);
    expect(await authenticateApiKey(t.redis, created.secret)).toBeUndefined();
    expect((await run("revoke", created.keyId)).code).toBe(1);
  });

  it("sets and clears a key's own limit, shown by list", async () => {
    const created = JSON.parse(
      (await run("create", "--name", "free", "--scopes", "emails:send", "--json")).out,
    ) as { keyId: string };

    const set = await run(
      "limit",
      created.keyId,
      "--policy",
      "emails",
      "--capacity",
      "5",
      "--per-second",
      "0.1",
    );
    const listed = await run("list");
    const cleared = await run("limit", created.keyId, "--policy", "emails", "--clear", "--json");

    expect(set.code).toBe(0);
    expect(listed.out).toContain("emails=5@0.1/s");
    expect(JSON.parse(cleared.out)).not.toHaveProperty("limits");
    await expect(run("limit", created.keyId, "--policy", "webhooks", "--clear")).rejects.toThrow(/--policy/);
    await expect(
      run("limit", created.keyId, "--policy", "api", "--capacity", "0", "--per-second", "1"),
    ).rejects.toThrow(/--capacity/);
    expect((await run("limit", "key_missing", "--policy", "api", "--clear")).code).toBe(1);
  });

  it("refuses unknown scopes and commands", async () => {
    await expect(run("create", "--name", "x", "--scopes", "emails:send,admin")).rejects.toThrow(
      /unknown scope/,
    );
    expect((await run("frobnicate")).code).toBe(2);
  });
});
