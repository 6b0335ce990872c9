/**
 * `npm run suppression -- list [--json] | add <address> [--reason bounce|complaint|manual] [--note N]
 *                        | remove <address>`
 * Ferry's suppression list (shared/delivery/suppression.ts): addresses POST /v1/emails refuses,
 * put there by a hard bounce or a complaint, or by an operator. Talks to the Redis Ferry uses:
 * UPSTASH_REDIS_REST_URL/TOKEN when set (a deployed stack), else the running `npm run dev`.
 * Removing an address here does not remove it from SES's own account-level list: on AWS, also run
 * `aws sesv2 delete-suppressed-destination --email-address <address>` or SES bounces it again
 * (OnAccountSuppressionList) and it comes straight back.
 */
import "#infra/scripts/cli-environment.ts";
import {
  addSuppressed,
  listSuppressed,
  removeSuppressed,
  SUPPRESSION_REASONS,
  type SuppressionReason,
} from "#shared/delivery/suppression.ts";
import { parseCliArgs } from "./cli-args.ts";
import { resolveRedisForCli } from "./redis-for-cli.ts";

const USAGE = `Usage:
  npm run suppression -- list [--json]
  npm run suppression -- add <address> [--reason ${SUPPRESSION_REASONS.join("|")}] [--note <text>]
  npm run suppression -- remove <address>
Without UPSTASH_REDIS_REST_URL/TOKEN: the running \`npm run dev\` (FERRY_LOCAL_DIR if it has its own).
On AWS, removing an address from Ferry's list does not remove it from SES's account-level list:
  aws sesv2 delete-suppressed-destination --email-address <address>`;

// The same rule POST /v1/emails applies to addresses (zod's email check is heavier than needed).
const looksLikeAddress = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 320;

export async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(
    argv,
    { json: { type: "boolean" }, reason: { type: "string" }, note: { type: "string" } },
    USAGE,
  );
  if (args.kind === "exit") return args.code;
  const [command, address] = args.positionals;
  if (command !== "list" && command !== "add" && command !== "remove") {
    console.error(USAGE);
    return 2;
  }
  if (command !== "list" && (!address || !looksLikeAddress(address))) {
    console.error(`${command} needs an email address.\n\n${USAGE}`);
    return 2;
  }
  const reason = (args.values.reason ?? "manual") as SuppressionReason;
  if (!SUPPRESSION_REASONS.includes(reason)) {
    console.error(`--reason must be one of ${SUPPRESSION_REASONS.join(", ")}.`);
    return 2;
  }
  const redis = await resolveRedisForCli();
  if (command === "list") {
    const entries = await listSuppressed(redis);
    if (args.values.json) console.log(JSON.stringify(entries));
    else if (entries.length === 0) console.log("No suppressed addresses.");
    else {
      for (const e of entries) {
        console.log(
          `${e.address}\t${e.reason}\t${e.source}\t${e.at}\t${e.detail ?? "-"}\t${e.taskId ?? "-"}`,
        );
      }
    }
    return 0;
  }
  if (command === "add") {
    const entry = await addSuppressed(redis, {
      address: address as string,
      reason,
      source: "operator",
      ...(args.values.note ? { detail: args.values.note } : {}),
    });
    console.log(`Suppressed ${entry.address} (${entry.reason}): POST /v1/emails now refuses it.`);
    return 0;
  }
  if (!(await removeSuppressed(redis, address as string))) {
    console.error(`${address} is not suppressed.`);
    return 1;
  }
  console.log(`Removed ${address?.toLowerCase()}: it can be sent to again.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`suppression: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
