/**
 * `npm run deploy -- [--stage <name>] [-c key=value ...] [-- <cdk deploy flags>]`
 * Preflight first (infra/settings.ts): every setting cdk.json leaves as a placeholder must be
 * given, and none may be malformed; each problem is named and nothing reaches AWS. Then
 * `cdk deploy` of stack Ferry (or Ferry-<stage>), its outputs written to .ferry/outputs/ and
 * printed at the end with the next steps.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { preflightProblems, readSettings, stackNameFor } from "#infra/settings.ts";
import {
  CDK_BIN,
  type CommandRunner,
  cdkJsonContext,
  contextArgs,
  REPO_ROOT,
  runAttached,
  splitContextArgs,
} from "./cdk-command.ts";
import { runAsEntry } from "./run-as-entry.ts";

const USAGE = `Usage: npm run deploy -- [--stage <name>] [-c key=value ...] [-- <extra cdk deploy flags>]
Settings (cdk.json context or -c): emailFrom, sesIdentity, upstashRestUrl, alarmEmail (required);
sesConfigurationSet, rateLimits, webSocketAccessLogs, consoleOrigins (optional).`;

export interface DeployIo {
  readonly run: CommandRunner;
  /** cdk.json's context. */
  readonly baseContext: () => Record<string, unknown>;
  /** The outputs file cdk wrote, or undefined when there is none. */
  readonly readOutputs: (path: string) => Record<string, Record<string, string>> | undefined;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export const defaultIo: DeployIo = {
  run: runAttached,
  baseContext: () => cdkJsonContext(),
  readOutputs: (path) =>
    existsSync(path)
      ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<string, string>>)
      : undefined,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export function outputsFileFor(stackName: string): string {
  return join(REPO_ROOT, ".ferry", "outputs", `${stackName}.json`);
}

const noTrailingSlash = (url: string) => url.replace(/\/+$/, "");

/** The summary printed after a deploy: URLs, dead-letter queues, dashboard, secret, next steps. */
export function describeOutputs(
  stackName: string,
  stage: string | undefined,
  outputs: Record<string, string>,
): string[] {
  const stageFlag = stage ? ` --stage ${stage}` : "";
  const http = outputs.HttpApiUrl ? noTrailingSlash(outputs.HttpApiUrl) : "(missing)";
  const dlqs = Object.entries(outputs)
    .filter(([key]) => key.endsWith("DeadLetterQueueName"))
    .map(([key, name]) => `${key.replace(/DeadLetterQueueName$/, "").toLowerCase()}: ${name}`);
  return [
    `${stackName} deployed.`,
    `  HTTP API        ${http}`,
    `  WebSocket       ${outputs.WebSocketUrl ? noTrailingSlash(outputs.WebSocketUrl) : "(none)"}`,
    `  Dead letters    ${dlqs.join("; ") || "(none)"}`,
    `  Dashboard       ${outputs.DashboardUrl ?? "(none)"}`,
    `  Secret          ${outputs.SecretsArn ?? "(missing)"}`,
    "Next:",
    `  npm run secrets -- set${stageFlag} < secrets.json     # the Upstash token and provider secrets (until then: 503 configuration-incomplete)`,
    `  npm run secrets -- check${stageFlag}`,
    `  npm run keys -- create --name smoke --scopes emails:send,tasks:read,payments:read,realtime:connect   # with UPSTASH_* exported`,
    `  npm run smoke -- --base-url ${http} --api-key <key>`,
  ];
}

export async function main(argv: readonly string[], io: DeployIo = defaultIo): Promise<number> {
  let parsed: { stage: string | undefined; context: Record<string, string>; cdkFlags: string[] };
  try {
    const { context, rest } = splitContextArgs(argv);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { stage: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    parsed = { stage: values.stage ?? context.stage, context, cdkFlags: positionals };
  } catch (error) {
    io.err(`deploy: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { stage, cdkFlags } = parsed;
  const context: Record<string, string> = { ...parsed.context, ...(stage ? { stage } : {}) };
  const base = io.baseContext();
  const settings = readSettings((key) => (key in context ? context[key] : base[key]));
  const problems = preflightProblems(settings);
  if (problems.length > 0) {
    io.err(`Preflight refused the deploy (nothing was sent to AWS): ${problems.length} problem(s)`);
    for (const problem of problems) io.err(`  ✗ ${problem}`);
    io.err("Set them in cdk.json's context or pass -c key=value (README: Deploying).");
    return 1;
  }
  const stackName = stackNameFor(stage);
  io.out(
    `Preflight passed: deploying ${stackName} (sender ${settings.emailFrom}, alarms to ${settings.alarmEmail})`,
  );
  const outputsFile = outputsFileFor(stackName);
  const code = await io.run({
    command: CDK_BIN,
    args: [
      "deploy",
      stackName,
      "--no-notices",
      ...contextArgs(context),
      "--outputs-file",
      outputsFile,
      ...cdkFlags,
    ],
  });
  if (code !== 0) {
    io.err(`deploy: cdk deploy exited with ${code}`);
    return code;
  }
  const outputs = io.readOutputs(outputsFile)?.[stackName];
  if (!outputs) {
    io.err(`deploy: cdk wrote no outputs for ${stackName} to ${outputsFile}`);
    return 1;
  }
  for (const line of describeOutputs(stackName, stage, outputs)) io.out(line);
  return 0;
}

runAsEntry(import.meta.url, "deploy", main);
