/**
 * `npm run dev` as a process: it prints where it listens, serves, and on SIGTERM stops
 * everything and exits 0, removing its state file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runScriptToExit } from "#test/support/run-script.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), "ferry-dev-process-"));
const stateFile = join(stateDir, "local.json");
let child: ChildProcess | undefined;

afterAll(() => {
  // Only if the test failed before the child exited: never leave it behind.
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(stateDir, { recursive: true, force: true });
});

/** Resolves with the HTTP URL the runtime prints once ready. */
function readyUrl(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    process.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    process.once("exit", (code) => reject(new Error(`exited with ${code} before ready:\n${output}`)));
  });
}

/** Runs `npm run dev` to its exit (for starts that must fail) and collects what it printed. */
const runToExit = (env: Record<string, string>, args: string[] = []) =>
  runScriptToExit("infra/local/main.ts", args, {
    ...process.env,
    PORT: "0",
    FERRY_LOCAL_STATE: stateFile,
    ...env,
  });

describe("npm run dev (infra/local/main.ts)", () => {
  it("exits non-zero naming every invalid setting, and never says it is ready", async () => {
    // Act
    const run = await runToExit({
      REDIS_URL: inject("redisUrl"),
      RATE_LIMITS: "{",
      EMAIL_RETRY_BASE_SECONDS: "abc",
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/RATE_LIMITS: is not valid JSON/);
    expect(run.stderr).toMatch(/EMAIL_RETRY_BASE_SECONDS: /);
    expect(run.stdout).not.toMatch(/ready/);
    expect(existsSync(stateFile)).toBe(false);
  });

  it("serves until SIGTERM, then exits 0 and removes its state file", async () => {
    // Prepare
    child = spawn(process.execPath, ["--import", "tsx", "infra/local/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", REDIS_URL: inject("redisUrl"), FERRY_LOCAL_STATE: stateFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));
    const url = await readyUrl(child);
    const health = await fetch(`${url}/health`);
    const body = await health.json();
    const stateWritten = existsSync(stateFile);

    // Act
    child.kill("SIGTERM");
    const code = await exited;

    // Assess
    expect(health.status).toBe(200);
    expect(body).toMatchObject({ status: "ok" });
    expect(stateWritten).toBe(true);
    expect(code).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
