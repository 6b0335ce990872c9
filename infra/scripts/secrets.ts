/**
 * `npm run secrets -- set [--stage <name> | --secret-id <arn>] [--file <path>]`
 * `npm run secrets -- check [--stage <name> | --secret-id <arn>]`
 * `set` reads KEY=value lines or a JSON object from the file or standard input (never from the
 * command line, where shell history and `ps` would keep it), merges them into the stack's secret
 * and never prints a value. `check` lists which keys are set and what a missing one costs; it
 * exits 1 while a required one is missing. The secret is the stack's SecretsArn output (stack
 * Ferry or Ferry-<stage>) unless --secret-id names it. Functions pick up a change within
 * FERRY_SECRETS_TTL_SECONDS (300 s), without a deploy.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import "#shared/zod/messages.ts";
import { stackNameFor, stageProblems } from "#infra/settings.ts";
import {
  configSchema,
  DEFAULT_SECRETS_TTL_SECONDS,
  SECRET_KEYS,
  SECRET_PURPOSES,
  type SecretKey,
} from "#shared/config.ts";
import { runAsEntry } from "./run-as-entry.ts";

const USAGE = `Usage:
  npm run secrets -- set   [--stage <name> | --secret-id <arn>] [--file <path>]   (else from standard input)
  npm run secrets -- check [--stage <name> | --secret-id <arn>]
Input: KEY=value lines or a JSON object. Keys: ${SECRET_KEYS.join(", ")}`;

export interface SecretsIo {
  readonly client: () => SecretsManagerClient;
  /** The stack's SecretsArn output. */
  readonly secretIdOfStack: (stackName: string) => Promise<string | undefined>;
  /** Standard input, or undefined when it is a terminal (values typed there would be echoed). */
  readonly readStdin: () => Promise<string | undefined>;
  readonly readFile: (path: string) => string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

async function stackOutput(stackName: string): Promise<string | undefined> {
  const cfn = new CloudFormationClient({});
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === "SecretsArn")?.OutputValue;
  } finally {
    cfn.destroy();
  }
}

async function readAll(stream: NodeJS.ReadStream): Promise<string | undefined> {
  if (stream.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export const defaultIo: SecretsIo = {
  client: () => new SecretsManagerClient({}),
  secretIdOfStack: stackOutput,
  readStdin: () => readAll(process.stdin),
  readFile: (path) => readFileSync(path, "utf8"),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

class UsageError extends Error {}

/** KEY=value lines (# comments, blank lines, optional quotes) or one JSON object. */
export function parseSecretInput(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError("the input starts with { but is not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsageError("the input must be a JSON object of KEY: value");
    }
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== "string") throw new UsageError(`${key}: the value must be a string`);
      values[key] = value;
    }
    return values;
  }
  const values: Record<string, string> = {};
  for (const [index, raw] of trimmed.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    // The line number only: the line itself may hold a secret.
    if (eq < 1) throw new UsageError(`line ${index + 1}: expected KEY=value`);
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, "");
    values[key] = line
      .slice(eq + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
  }
  return values;
}

/** Problems with the values to write, naming keys only. */
function inputProblems(values: Record<string, string>): string[] {
  const problems: string[] = [];
  const known = new Set<string>(SECRET_KEYS);
  for (const [key, value] of Object.entries(values)) {
    if (!known.has(key)) {
      problems.push(`${key}: not a key of the secret (known: ${SECRET_KEYS.join(", ")})`);
      continue;
    }
    if (value.trim() === "") {
      problems.push(`${key}: is empty`);
      continue;
    }
    const schema = configSchema.shape[key as SecretKey];
    const result = schema.safeParse(value);
    if (!result.success) problems.push(`${key}: ${result.error.issues.map((i) => i.message).join("; ")}`);
  }
  if (Object.keys(values).length === 0) problems.push("the input holds no KEY=value");
  return problems;
}

async function currentValues(
  client: SecretsManagerClient,
  secretId: string,
): Promise<Record<string, unknown>> {
  let secretString: string | undefined;
  try {
    secretString = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    // A secret created without a value has no AWSCURRENT version yet.
    if (error instanceof ResourceNotFoundException && /staging label|version/i.test(error.message)) return {};
    throw error;
  }
  if (!secretString) return {};
  try {
    const parsed: unknown = JSON.parse(secretString);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UsageError(
    "the secret does not hold a JSON object; fix or delete its value before using this command",
  );
}

/** One line per key; true when every required key is set. */
function report(values: Record<string, unknown>, io: SecretsIo): boolean {
  let complete = true;
  const isSet = (key: string) => typeof values[key] === "string" && (values[key] as string).trim() !== "";
  for (const key of SECRET_KEYS) {
    const { required, purpose } = SECRET_PURPOSES[key];
    if (isSet(key)) io.out(`  ✓ ${key}`);
    else {
      if (required) complete = false;
      io.out(`  ${required ? "✗" : "-"} ${key} ${required ? "MISSING (required)" : "not set"}: ${purpose}`);
    }
  }
  if (isSet("PAYU_MERCHANT_KEY") !== isSet("PAYU_MERCHANT_SALT")) {
    complete = false;
    io.out("  ✗ PAYU_MERCHANT_KEY and PAYU_MERCHANT_SALT work only together: set both");
  }
  const unknown = Object.keys(values).filter((k) => !(SECRET_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) io.out(`  ? not used by Ferry: ${unknown.join(", ")}`);
  return complete;
}

export async function main(argv: readonly string[], io: SecretsIo = defaultIo): Promise<number> {
  try {
    const { positionals, values: flags } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        stage: { type: "string" },
        "secret-id": { type: "string" },
        file: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    const [command, ...extra] = positionals;
    if (flags.help) {
      io.out(USAGE);
      return 0;
    }
    if ((command !== "set" && command !== "check") || extra.length > 0) {
      throw new UsageError(
        extra.length > 0
          ? "values are never taken from the command line: pipe them in or use --file"
          : "expected set or check",
      );
    }
    const problems = stageProblems(flags.stage);
    if (problems.length > 0) throw new UsageError(problems.join("; "));
    const stackName = stackNameFor(flags.stage);
    const secretId = flags["secret-id"] ?? (await io.secretIdOfStack(stackName));
    if (!secretId) throw new Error(`stack ${stackName} has no SecretsArn output (deployed in this region?)`);

    const client = io.client();
    try {
      if (command === "check") {
        io.out(`Secret ${secretId}:`);
        const complete = report(await currentValues(client, secretId), io);
        if (!complete) io.err("secrets: incomplete; fill it with npm run secrets -- set");
        return complete ? 0 : 1;
      }
      const text = flags.file ? io.readFile(flags.file) : await io.readStdin();
      if (text === undefined) {
        throw new UsageError(
          "standard input is a terminal: pipe the values in (… < secrets.env) or use --file",
        );
      }
      const input = parseSecretInput(text);
      const inputIssues = inputProblems(input);
      if (inputIssues.length > 0) {
        io.err("secrets: nothing written:");
        for (const issue of inputIssues) io.err(`  ✗ ${issue}`);
        return 1;
      }
      const merged = { ...(await currentValues(client, secretId)), ...input };
      await client.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(merged) }),
      );
      io.out(`Wrote ${Object.keys(input).join(", ")} to ${secretId} (values not shown).`);
      io.out(
        `Running functions use them within FERRY_SECRETS_TTL_SECONDS (${DEFAULT_SECRETS_TTL_SECONDS} s by default); no deploy needed.`,
      );
      report(merged, io);
      return 0;
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`secrets: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

runAsEntry(import.meta.url, "secrets", main);
