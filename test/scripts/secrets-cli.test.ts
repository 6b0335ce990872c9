/**
 * `npm run secrets` against a local Secrets Manager (test/support/secrets-manager-emulator.ts)
 * through the real SDK client: values come only from standard input or a file, are merged into
 * the secret, and never appear in the command's output.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { main, type SecretsIo } from "#infra/scripts/secrets.ts";
import { INITIAL_SECRET_VALUE } from "#infra/stack.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { sm, useSecretsManagerEmulator } from "#test/support/secrets-manager-emulator.ts";

useSecretsManagerEmulator();

const TOKEN = "AXsecret-upstash-token-0123456789";
const WHSEC = "whsec_never_printed_9876";

function io(stdin: string | undefined, stackSecret?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: SecretsIo = {
    client: () => new SecretsManagerClient(localClientConfig(sm.url)),
    secretIdOfStack: async () => stackSecret,
    readStdin: async () => stdin,
    readFile: (path) => {
      throw new Error(`unexpected read of ${path}`);
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { io: value, all: () => [...out, ...err].join("\n") };
}

describe("npm run secrets -- check", () => {
  it("reports a freshly deployed secret as missing the Upstash token, and exits 1", async () => {
    const arn = sm.create("fresh", INITIAL_SECRET_VALUE);
    const t = io(undefined);

    const code = await main(["check", "--secret-id", arn], t.io);

    expect(code).toBe(1);
    expect(t.all()).toMatch(/✗ UPSTASH_REDIS_REST_TOKEN MISSING \(required\)/);
    expect(t.all()).toMatch(/- STRIPE_WEBHOOK_SECRET not set: Stripe webhooks/);
  });

  it("finds the secret through the stack's SecretsArn output for --stage", async () => {
    const arn = sm.create("staged", JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: TOKEN }));
    const t = io(undefined, arn);

    const code = await main(["check", "--stage", "staging"], t.io);

    expect(code).toBe(0);
    expect(t.all()).toContain(`Secret ${arn}:`);
    expect(t.all()).toContain("✓ UPSTASH_REDIS_REST_TOKEN");
    expect(t.all()).not.toContain(TOKEN);
  });
});

describe("npm run secrets -- set", () => {
  it("writes KEY=value lines from standard input, merged into the secret, never echoing a value", async () => {
    const arn = sm.create("set-stdin", JSON.stringify({ RAZORPAY_WEBHOOK_SECRET: "kept-as-is" }));
    const t = io(
      `# from my password manager\nUPSTASH_REDIS_REST_TOKEN=${TOKEN}\nexport STRIPE_WEBHOOK_SECRET="${WHSEC}"\n`,
    );

    const code = await main(["set", "--secret-id", arn], t.io);

    expect(code).toBe(0);
    expect(JSON.parse(sm.valueOf(arn) ?? "{}")).toEqual({
      RAZORPAY_WEBHOOK_SECRET: "kept-as-is",
      UPSTASH_REDIS_REST_TOKEN: TOKEN,
      STRIPE_WEBHOOK_SECRET: WHSEC,
    });
    expect(t.all()).toContain("Wrote UPSTASH_REDIS_REST_TOKEN, STRIPE_WEBHOOK_SECRET");
    expect(t.all()).not.toContain(TOKEN);
    expect(t.all()).not.toContain(WHSEC);
    expect(t.all()).not.toContain("kept-as-is");
  });

  it("reads a JSON object from --file", async () => {
    const arn = sm.create("set-file", INITIAL_SECRET_VALUE);
    const file = join(mkdtempSync(join(tmpdir(), "ferry-secrets-")), "secrets.json");
    writeFileSync(file, JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: TOKEN }));
    const t = io(undefined);
    const withFile: SecretsIo = {
      ...t.io,
      readFile: (path) => (path === file ? JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: TOKEN }) : ""),
    };

    expect(await main(["set", "--secret-id", arn, "--file", file], withFile)).toBe(0);
    expect(JSON.parse(sm.valueOf(arn) ?? "{}").UPSTASH_REDIS_REST_TOKEN).toBe(TOKEN);
  });

  it("refuses values on the command line, and writes nothing", async () => {
    const arn = sm.create("set-argv", INITIAL_SECRET_VALUE);
    const t = io(undefined);

    const code = await main(["set", "--secret-id", arn, `UPSTASH_REDIS_REST_TOKEN=${TOKEN}`], t.io);

    expect(code).toBe(2);
    expect(t.all()).toContain("never taken from the command line");
    expect(sm.valueOf(arn)).toBe(INITIAL_SECRET_VALUE);
  });

  it("refuses a terminal as standard input (typed values would be echoed)", async () => {
    const arn = sm.create("set-tty", INITIAL_SECRET_VALUE);
    const t = io(undefined);

    expect(await main(["set", "--secret-id", arn], t.io)).toBe(2);
    expect(t.all()).toContain("standard input is a terminal");
  });

  it("refuses unknown keys and empty values, naming the key and not the value, and writes nothing", async () => {
    const arn = sm.create("set-bad", INITIAL_SECRET_VALUE);
    const t = io(`UPSTASH_REDIS_TOKEN=${TOKEN}\nSTRIPE_WEBHOOK_SECRET=\n`);

    const code = await main(["set", "--secret-id", arn], t.io);

    expect(code).toBe(1);
    expect(t.all()).toMatch(/UPSTASH_REDIS_TOKEN: not a key of the secret/);
    expect(t.all()).toMatch(/STRIPE_WEBHOOK_SECRET: is empty/);
    expect(t.all()).not.toContain(TOKEN);
    expect(sm.valueOf(arn)).toBe(INITIAL_SECRET_VALUE);
  });
});
