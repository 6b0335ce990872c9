/**
 * `npm run dlq -- list [queue]` · `npm run dlq -- redrive <queue>`
 * Against the running local runtime (.ferry/local.json) by default; with `--aws` against the
 * deployed stack (queue URLs from its CloudFormation outputs; stack name `--stack`, default Ferry).
 */
import "#infra/scripts/cli-environment.ts";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { SQSClient } from "@aws-sdk/client-sqs";
import { externalAwsFrom } from "#infra/local/aws/external-endpoints.ts";
import { readLocalState } from "#infra/local/process/local-state.ts";
import { manifest, QUEUE_NAMES, type QueueName } from "#shared/app/manifest.ts";
import { type DeadLetterQueue, depth, peek, resendAll, startRedrive } from "#shared/queues/dead-letters.ts";
import { parseCliArgs } from "./cli-args.ts";
import { runAsEntry } from "./run-as-entry.ts";

const USAGE = `Usage:
  npm run dlq -- list [${QUEUE_NAMES.join("|")}] [--aws [--stack Ferry] [--region <region>]]
  npm run dlq -- redrive <${QUEUE_NAMES.join("|")}> [--aws [--stack Ferry] [--region <region>]]
Without --aws: the running \`npm run dev\` (FERRY_LOCAL_DIR if it has its own directory).
With --aws: the deployed stack, with your AWS credentials; the region is --region, else
AWS_REGION, else your AWS profile's.`;

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Target {
  readonly sqs: SQSClient;
  readonly queues: DeadLetterQueue[];
  readonly mode: "local" | "aws";
}

/** The region the SDK would use: --region, else what the environment or profile says; or why none. */
async function awsRegion(flag: string | undefined): Promise<string> {
  if (flag) return flag;
  try {
    const region = await new CloudFormationClient({}).config.region();
    if (region) return region;
  } catch {
    // No region anywhere: the SDK's own "Region is missing" names no variable to set.
  }
  throw new Error(
    "No AWS region for --aws: set AWS_REGION (e.g. AWS_REGION=eu-west-1 npm run dlq -- list --aws), " +
      "pass --region, or set a region in your AWS profile (AWS_PROFILE).",
  );
}

async function awsTarget(stackName: string, regionFlag: string | undefined): Promise<Target> {
  const region = await awsRegion(regionFlag);
  const cfn = new CloudFormationClient({ region });
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries(
    (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
  );
  const queues = Object.entries(manifest.queues).flatMap(([name, spec]) => {
    const url = outputs[`${pascal(name)}QueueUrl`];
    const dlqUrl = outputs[`${pascal(name)}DeadLetterQueueUrl`];
    return url && dlqUrl && spec ? [{ name, url, dlqUrl, fifo: spec.fifo }] : [];
  });
  return { sqs: new SQSClient({ region }), queues, mode: "aws" };
}

function localTarget(): Target {
  const state = readLocalState();
  if (!state)
    throw new Error(
      "No local runtime is running: start `npm run dev` (set FERRY_LOCAL_DIR if it runs with its own), or pass --aws for the deployed stack.",
    );
  const queues = (Object.entries(state.sqs.queueUrls) as [QueueName, { url: string; dlqUrl: string }][]).map(
    ([name, q]) => ({ name, url: q.url, dlqUrl: q.dlqUrl, fifo: manifest.queues[name]?.fifo ?? false }),
  );
  const sqs = new SQSClient({
    region: state.sqs.region,
    endpoint: state.sqs.endpoint,
    // The in-process emulator takes any credentials; an external SQS (FERRY_LOCAL_SQS_ENDPOINT)
    // gets those `npm run dev` uses for it (FERRY_LOCAL_AWS_ACCESS_KEY_ID…, default test/test).
    credentials: { ...externalAwsFrom(process.env).credentials },
  });
  return { sqs, queues, mode: "local" };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(
    argv,
    { aws: { type: "boolean" }, stack: { type: "string", default: "Ferry" }, region: { type: "string" } },
    USAGE,
  );
  if (args.kind === "exit") return args.code;
  const { positionals, values } = args;
  const [command, queueName] = positionals;
  if ((command !== "list" && command !== "redrive") || (command === "redrive" && !queueName)) {
    console.error(USAGE);
    return 2;
  }
  const target = values.aws ? await awsTarget(values.stack ?? "Ferry", values.region) : localTarget();
  const selected = target.queues.filter((q) => !queueName || q.name === queueName);
  if (queueName && selected.length === 0) {
    console.error(`Unknown queue ${queueName}; known: ${target.queues.map((q) => q.name).join(", ")}`);
    return 2;
  }
  for (const queue of selected) {
    if (command === "list") {
      const n = await depth(target.sqs, queue.dlqUrl);
      console.log(`${queue.name}: ${n} message(s) in the dead-letter queue`);
      for (const m of await peek(target.sqs, queue.dlqUrl)) {
        const received = m.Attributes?.ApproximateReceiveCount ?? "?";
        console.log(`  ${m.MessageId}  received ${received}×  ${(m.Body ?? "").slice(0, 120)}`);
      }
    } else if (target.mode === "aws") {
      const handle = await startRedrive(target.sqs, queue.dlqUrl);
      console.log(`${queue.name}: redrive started (StartMessageMoveTask ${handle})`);
    } else {
      const moved = await resendAll(target.sqs, queue);
      console.log(`${queue.name}: ${moved} message(s) sent back to the queue`);
    }
  }
  return 0;
}

runAsEntry(import.meta.url, "dlq", main);
