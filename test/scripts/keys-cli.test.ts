import { describe, expect, it } from "vitest";
import { main } from "#infra/scripts/keys.ts";
import { authenticateApiKey, hashApiKey } from "#shared/auth/api-keys.ts";
import { useScriptMain } from "#test/support/script-main.ts";

const t = useScriptMain(main);
const run = t.run;

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
