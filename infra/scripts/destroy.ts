/**
 * `npm run destroy -- [--stage <name>] [-- <extra cdk destroy flags>]`
 * Tears down stack Ferry (or Ferry-<stage>) with `cdk destroy`, then says what it left on
 * purpose and how to remove it: the log groups (kept for their retention, so the last hours of
 * a torn-down stack can still be read) and the secret (it holds the only copy of the tokens).
 * Their names are read from the stack before it goes.
 */
import { parseArgs } from "node:util";
import { CloudFormationClient, paginateListStackResources } from "@aws-sdk/client-cloudformation";
import { stackNameFor, stageProblems } from "#infra/settings.ts";
import { CDK_BIN, type CommandRunner, contextArgs, runAttached } from "./cdk-command.ts";
import { runAsEntry } from "./run-as-entry.ts";

const USAGE = "Usage: npm run destroy -- [--stage <name>] [-- <extra cdk destroy flags>]";

/** What CloudFormation keeps after a delete (DeletionPolicy Retain). */
export interface Retained {
  readonly logGroups: readonly string[];
  readonly secrets: readonly string[];
}

export interface DestroyIo {
  readonly run: CommandRunner;
  /** The stack's retained resources; undefined when the stack does not exist. */
  readonly listRetained: (stackName: string) => Promise<Retained | undefined>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

async function listRetainedWithCloudFormation(stackName: string): Promise<Retained | undefined> {
  const client = new CloudFormationClient({});
  const logGroups: string[] = [];
  const secrets: string[] = [];
  try {
    for await (const page of paginateListStackResources({ client }, { StackName: stackName })) {
      for (const r of page.StackResourceSummaries ?? []) {
        if (!r.PhysicalResourceId) continue;
        if (r.ResourceType === "AWS::Logs::LogGroup") logGroups.push(r.PhysicalResourceId);
        if (r.ResourceType === "AWS::SecretsManager::Secret") secrets.push(r.PhysicalResourceId);
      }
    }
  } catch (error) {
    if ((error as Error).message?.includes("does not exist")) return undefined;
    throw error;
  } finally {
    client.destroy();
  }
  return { logGroups, secrets };
}

export const defaultIo: DestroyIo = {
  run: runAttached,
  listRetained: listRetainedWithCloudFormation,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export function describeLeftovers(retained: Retained): string[] {
  const lines = ["Left in the account on purpose (delete them when you no longer need them):"];
  for (const name of retained.logGroups) {
    lines.push(`  log group ${name}`, `    aws logs delete-log-group --log-group-name '${name}'`);
  }
  for (const arn of retained.secrets) {
    lines.push(
      `  secret ${arn}   (the Upstash token and provider secrets)`,
      `    aws secretsmanager delete-secret --secret-id '${arn}' --recovery-window-in-days 7`,
    );
  }
  if (retained.logGroups.length + retained.secrets.length === 0) lines.push("  nothing");
  lines.push(
    "The Upstash database, SES identities and provider webhook settings were never part of the stack.",
  );
  return lines;
}

export async function main(argv: readonly string[], io: DestroyIo = defaultIo): Promise<number> {
  let stage: string | undefined;
  let cdkFlags: string[];
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { stage: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    stage = values.stage;
    cdkFlags = positionals;
  } catch (error) {
    io.err(`destroy: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const problems = stageProblems(stage);
  if (problems.length > 0) {
    io.err(`destroy: ${problems.join("; ")}`);
    return 2;
  }
  const stackName = stackNameFor(stage);
  const retained = await io.listRetained(stackName);
  if (!retained) {
    io.err(`destroy: there is no stack ${stackName} in this account and region (AWS_REGION / AWS_PROFILE?)`);
    return 1;
  }
  const code = await io.run({
    command: CDK_BIN,
    args: ["destroy", stackName, "--no-notices", ...contextArgs(stage ? { stage } : {}), ...cdkFlags],
  });
  if (code !== 0) {
    io.err(`destroy: cdk destroy exited with ${code}`);
    return code;
  }
  // cdk exits 0 when its "Are you sure?" is answered no: ask CloudFormation what happened.
  if (await io.listRetained(stackName)) {
    io.err(`destroy: ${stackName} still exists (the deletion was cancelled or is still running)`);
    return 1;
  }
  io.out(`${stackName} destroyed.`);
  for (const line of describeLeftovers(retained)) io.out(line);
  return 0;
}

runAsEntry(import.meta.url, "destroy", main);
