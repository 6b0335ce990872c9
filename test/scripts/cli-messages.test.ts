/**
 * What a newcomer sees from each command, run as a process the way npm runs it: `--help` works
 * everywhere, a missing setting is named, and the AWS SDK's Node 20 warning is not printed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
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

function run(
  script: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: ROOT,
      env: bareEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

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
