import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScriptToExit } from "#test/support/run-script.ts";

const emptyDir = mkdtempSync(join(tmpdir(), "ferry-cli-messages-"));
afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

/** The environment of a shell with none of Ferry's or AWS's settings, and no runtime running. */
function bareEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("AWS_") || name.startsWith("UPSTASH_") || name.startsWith("FERRY_")) delete env[name];
  }
  delete env.REDIS_URL;
  return {
    ...env,
    FERRY_LOCAL_DIR: emptyDir,
    AWS_CONFIG_FILE: join(emptyDir, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(emptyDir, "no-credentials"),
  };
}

const run = (script: string, ...args: string[]) => runScriptToExit(script, args, bareEnvironment());

describe("command messages", () => {
  it.each([
    ["dev", "infra/local/main.ts"],
    ["keys", "infra/scripts/keys.ts"],
    ["dlq", "infra/scripts/dlq.ts"],
    ["bench", "bench/main.ts"],
  ])("npm run %s -- --help prints its usage and succeeds", async (_name, script) => {
    const result = await run(script, "--help");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage:/);
  });

  it("npm run dlq -- list --aws without a region says which variable to set, without the SDK's Node warning", async () => {
    const result = await run("infra/scripts/dlq.ts", "list", "--aws");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No AWS region for --aws: set AWS_REGION/);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it("npm run keys with no runtime and no Upstash settings says what to do", async () => {
    const result = await run("infra/scripts/keys.ts", "list");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or start `npm run dev`/,
    );
  });

  it("an unknown option is named, with the usage, not a stack trace", async () => {
    const result = await run("infra/scripts/keys.ts", "list", "--bogus");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Unknown option '--bogus'\.\n\nUsage:/);
  });
});
