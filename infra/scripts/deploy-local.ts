/**
 * `npm run deploy:local -- [--stage <name>] [cdklocal flags]`: the stack on a LocalStack you run
 * yourself, said truthfully before it starts. Ferry's stack needs API Gateway v2 (the HTTP and
 * WebSocket APIs and the @connections management API), which LocalStack offers only on paid
 * plans, and its image needs an auth token since 2026-03. Without LOCALSTACK_AUTH_TOKEN this
 * stops before anything runs; `npm run dev` is the offline runtime that needs neither.
 */
import { parseArgs } from "node:util";
import { stackNameFor, stageProblems } from "#infra/settings.ts";
import { type CommandRunner, contextArgs, REPO_ROOT, runAttached } from "./cdk-command.ts";
import { runAsEntry } from "./run-as-entry.ts";

export const LOCALSTACK_NOTICE = [
  "deploy:local deploys with cdklocal to a LocalStack you run yourself (Docker). What the stack needs from it:",
  "  free plan:  Lambda, SQS, SES, Secrets Manager, SNS, CloudWatch and CloudWatch Logs, IAM, S3, CloudFormation",
  "  paid plans: API Gateway v2 (the HTTP API, the WebSocket API and its @connections API); X-Ray (top tier)",
  "  The LocalStack image needs an auth token (LOCALSTACK_AUTH_TOKEN) since 2026-03.",
  "  Without a paid plan the deploy fails at the first API Gateway v2 resource. `npm run dev` runs everything offline instead.",
  "  To use LocalStack's free SQS, SES and Secrets Manager with it: FERRY_LOCAL_AWS_ENDPOINT=http://127.0.0.1:4566 npm run dev",
];

export interface DeployLocalIo {
  readonly run: CommandRunner;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const defaultIo: DeployLocalIo = {
  run: runAttached,
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export async function main(argv: readonly string[], io: DeployLocalIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { stage: { type: "string" } },
  });
  for (const line of LOCALSTACK_NOTICE) io.out(line);
  const problems = stageProblems(values.stage);
  if (problems.length > 0) {
    io.err(`deploy:local: ${problems.join("; ")}`);
    return 2;
  }
  if (!io.env.LOCALSTACK_AUTH_TOKEN) {
    io.err("deploy:local: LOCALSTACK_AUTH_TOKEN is not set, so LocalStack cannot start; nothing was run.");
    return 1;
  }
  const stackName = stackNameFor(values.stage);
  return io.run({
    command: `${REPO_ROOT}node_modules/.bin/cdklocal`,
    args: [
      "deploy",
      stackName,
      "--no-notices",
      ...contextArgs(values.stage ? { stage: values.stage } : {}),
      ...positionals,
    ],
  });
}

runAsEntry(import.meta.url, "deploy:local", main);
