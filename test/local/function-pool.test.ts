/**
 * The local Lambda service's scaling (infra/local/functions/function-host.ts): a new sandbox
 * only when every sandbox is busy, up to a cap, one invocation per sandbox at a time, each with
 * its own module instances. The fixture (sandbox-identity.ts) says which sandbox ran it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FunctionHost, parseLocalSandboxes } from "#infra/local/functions/function-host.ts";
import { LambdaTimeoutError, LOCAL_ACCOUNT_ID } from "#infra/local/functions/lambda-context.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Ran {
  sandbox: string;
  invocations: number;
  mostAtOnce: number;
}

const hosts: FunctionHost[] = [];
const dirs: string[] = [];

function host(options: {
  cap?: number;
  reserved?: number;
  timeoutSeconds?: number;
  env?: Record<string, string>;
}) {
  const created = new FunctionHost({
    functionName: "sandboxIdentity",
    entry: "test/local/fixtures/sandbox-identity.ts",
    rootDir: ROOT,
    settings: { timeoutSeconds: options.timeoutSeconds ?? 5, memoryMb: 128 },
    identity: { region: "us-east-1", accountId: LOCAL_ACCOUNT_ID },
    env: { AWS_REGION: "us-east-1", ...options.env },
    localSandboxes: options.cap,
    reservedConcurrency: options.reserved,
  });
  hosts.push(created);
  return created;
}

const run = (h: FunctionHost, ms = 0) => h.invoke({ ms }) as Promise<Ran>;
const sandboxesOf = (results: readonly Ran[]) => new Set(results.map((r) => r.sandbox));

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("local function sandboxes", () => {
  it("runs sequential invocations in one warm sandbox", async () => {
    // Prepare
    const h = host({ cap: 4 });

    // Act
    const results: Ran[] = [];
    for (let i = 0; i < 5; i++) results.push(await run(h));

    // Assess
    expect(sandboxesOf(results).size).toBe(1);
    expect(results.map((r) => r.invocations)).toEqual([1, 2, 3, 4, 5]);
    expect(h.coldStarts).toBe(1);
  }, 30_000);

  it("starts a sandbox per concurrent invocation up to the cap, one invocation in each", async () => {
    // Prepare
    const h = host({ cap: 3 });

    // Act
    const results = await Promise.all(Array.from({ length: 3 }, () => run(h, 400)));

    // Assess
    expect(sandboxesOf(results).size).toBe(3);
    expect(h.coldStarts).toBe(3);
    expect(results.map((r) => r.mostAtOnce)).toEqual([1, 1, 1]);
  }, 30_000);

  it("past the local cap, shares the least busy sandboxes instead of starting more", async () => {
    // Prepare: three warm sandboxes
    const h = host({ cap: 3 });
    await Promise.all(Array.from({ length: 3 }, () => run(h, 400)));

    // Act
    const results = await Promise.all(Array.from({ length: 6 }, () => run(h, 400)));

    // Assess: no new sandbox, and the six spread two to each
    expect(sandboxesOf(results).size).toBe(3);
    expect(h.coldStarts).toBe(3);
    expect(Math.max(...results.map((r) => r.mostAtOnce))).toBe(2);
  }, 30_000);

  it("with a cap of 1 runs every invocation in the one sandbox, as before the pool", async () => {
    // Prepare
    const h = host({ cap: 1 });

    // Act
    const results = await Promise.all(Array.from({ length: 3 }, () => run(h, 300)));

    // Assess: all three at once in one module instance
    expect(sandboxesOf(results).size).toBe(1);
    expect(h.coldStarts).toBe(1);
    expect(Math.max(...results.map((r) => r.mostAtOnce))).toBe(3);
  }, 30_000);

  it("retires only the sandbox of a timed-out invocation", async () => {
    // Prepare: two warm sandboxes
    const h = host({ cap: 2, timeoutSeconds: 1 });
    const [a, b] = await Promise.all([run(h, 300), run(h, 300)]);
    expect(new Set([a?.sandbox, b?.sandbox]).size).toBe(2);

    // Act: one times out while the other serves a short invocation
    const [timedOut, alongside] = await Promise.allSettled([run(h, 3000), run(h, 100)]);
    const after = await run(h, 0);

    // Assess
    expect(timedOut.status).toBe("rejected");
    expect(timedOut.status === "rejected" && timedOut.reason).toBeInstanceOf(LambdaTimeoutError);
    expect(alongside.status).toBe("fulfilled");
    const survivor = alongside.status === "fulfilled" ? alongside.value.sandbox : "";
    expect([a?.sandbox, b?.sandbox]).toContain(survivor);
    expect(after.sandbox).toBe(survivor); // the warm survivor, not a cold start
    expect(h.size).toBe(1);
    expect(h.coldStarts).toBe(2);
  }, 30_000);

  it("fails only the invocation waiting for a new sandbox whose init fails", async () => {
    // Prepare: one sandbox busy; then the fixture's init starts failing
    const dir = mkdtempSync(join(tmpdir(), "ferry-pool-"));
    dirs.push(dir);
    const flag = join(dir, "fail-init");
    const h = host({ cap: 2, env: { FIXTURE_FAIL_INIT_FILE: flag } });
    await run(h, 0); // its init is over before the flag is written
    const busy = run(h, 1500);
    writeFileSync(flag, "");

    // Act: every sandbox is busy, so this one starts a new sandbox, whose init fails
    const cold = run(h, 0);

    // Assess
    await expect(cold).rejects.toThrow("fixture: init failed");
    rmSync(flag);
    expect(existsSync(flag)).toBe(false);
    const warm = await busy;
    expect(warm.invocations).toBe(2);
    // The failed sandbox ended (Lambda runs the init again); the next invocation finds the warm one
    expect(h.size).toBe(1);
    expect((await run(h, 0)).sandbox).toBe(warm.sandbox);
  }, 30_000);

  it("throttles past the function's reservedConcurrency, as Lambda does", async () => {
    // Prepare: reserved concurrency wins over the local cap
    const h = host({ cap: 8, reserved: 1 });

    // Act
    const [first, second] = await Promise.allSettled([run(h, 500), run(h, 0)]);

    // Assess
    expect(first.status).toBe("fulfilled");
    expect(second.status === "rejected" && second.reason).toMatchObject({
      name: "TooManyRequestsException",
      statusCode: 429,
    });
    expect(h.coldStarts).toBe(1);
  }, 30_000);

  it("ends every sandbox on a crash: running invocations fail, the next one starts cold", async () => {
    // Prepare: two sandboxes, both busy
    const h = host({ cap: 2 });
    const running = Promise.allSettled([run(h, 3000), run(h, 3000)]);
    await new Promise((r) => setTimeout(r, 200));

    // Act
    await h.crash();

    // Assess
    const settled = await running;
    expect(settled.map((r) => r.status === "rejected" && (r.reason as Error).name)).toEqual([
      "Runtime.ExitError",
      "Runtime.ExitError",
    ]);
    expect((await run(h, 0)).invocations).toBe(1);
    expect(h.coldStarts).toBe(3);
  }, 30_000);
});

describe("FERRY_LOCAL_SANDBOXES", () => {
  it.each([
    ["3", 3],
    ["1", 1],
  ])("reads %s as a cap of %d", (value, cap) => {
    expect(parseLocalSandboxes(value)).toBe(cap);
  });

  it("defaults to one sandbox per core but one (the runtime's own thread), at least 1", () => {
    const expected = Math.max(1, availableParallelism() - 1);
    expect(parseLocalSandboxes(undefined)).toBe(expected);
    expect(parseLocalSandboxes("")).toBe(expected);
  });

  it.each(["0", "-1", "2.5", "many"])("refuses %s", (value) => {
    expect(() => parseLocalSandboxes(value)).toThrow(/FERRY_LOCAL_SANDBOXES must be a whole number/);
  });
});
