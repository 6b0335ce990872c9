/**
 * `npm run dev`: starts the local runtime, prints how to reach it, and on SIGINT or SIGTERM
 * stops everything it started (emulators, a private redis-server) and exits 0.
 * Environment: PORT (default 3000, 0 = any free port), REDIS_URL, FERRY_LOCAL_DIR,
 * FERRY_DEV_API_KEY, and any handler configuration (EMAIL_FROM, webhook secrets, RATE_LIMITS...).
 */
import "#infra/scripts/cli-environment.ts";
import { awsBannerLines } from "./aws/external-banner.ts";
import { startLocalRuntime } from "./runtime.ts";

const USAGE = `Usage: npm run dev

Runs all of Ferry on this machine: every function behind a local HTTP and WebSocket gateway,
SQS and SES emulators, and a private redis-server whose data is kept in .ferry/redis.

Environment:
  PORT                 HTTP port on 127.0.0.1 (default 3000; 0 picks a free one)
  REDIS_URL            use this Redis instead of a private redis-server (it must answer)
  FERRY_LOCAL_DIR      the runtime's directory (default .ferry/): state file for the CLIs,
                       Redis data, lock (one runtime per directory)
  FERRY_DEV_API_KEY    the dev API key (default ferry-dev-key, every scope)
  FERRY_LOCAL_LATENCY_MS  play a database and AWS this many ms away
  FERRY_LOCAL_AWS_ENDPOINT  use SQS, SES and Secrets Manager at this endpoint (LocalStack:
                       http://127.0.0.1:4566) instead of the in-process emulators; per service:
                       FERRY_LOCAL_SQS_ENDPOINT, FERRY_LOCAL_SES_ENDPOINT, FERRY_LOCAL_SECRETS_ENDPOINT
                       (each wins over the shared one). With them: FERRY_LOCAL_AWS_REGION
                       (us-east-1), FERRY_LOCAL_AWS_ACCESS_KEY_ID / _SECRET_ACCESS_KEY (test/test),
                       FERRY_LOCAL_SECRET_ID (the functions' secret, default ferry-local)
  Any function setting (EMAIL_FROM, RATE_LIMITS, EMAIL_RETRY_*, webhook secrets...; see README,
  Configuration): checked for every function before the runtime says it is ready.`;

if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
  console.log(USAGE);
  process.exit(0);
}
if (process.argv.length > 2) {
  console.error(`npm run dev takes no arguments (got ${process.argv.slice(2).join(" ")}).\n\n${USAGE}`);
  process.exit(2);
}

/** A stop that hangs (a handler that never returns) must not keep the process alive forever. */
const STOP_DEADLINE_MS = 10_000;

const startedAt = Date.now();

let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
try {
  runtime = await startLocalRuntime();
} catch (error) {
  console.error(`Ferry local runtime failed to start: ${(error as Error).message}`);
  process.exit(1);
}

// Before the banner: whoever sees "Press Ctrl+C" may stop it at once, and must get a clean stop
// (a default SIGTERM would leave a private redis-server behind).
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  // A second Ctrl+C while stopping is ignored: exiting now would leave a private redis-server behind.
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping...`);
  const deadline = setTimeout(() => {
    console.error(`Stopping took over ${STOP_DEADLINE_MS / 1000} s; exiting anyway`);
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  await runtime.stop();
  console.log("Stopped.");
  process.exit(0);
}

process.on("SIGINT", (signal) => void shutdown(signal));
process.on("SIGTERM", (signal) => void shutdown(signal));

const redisWhere = {
  configured: "REDIS_URL",
  private: runtime.redis.dataDir
    ? `a private redis-server (pid ${runtime.redis.pid}), data kept in ${runtime.redis.dataDir}`
    : `a private redis-server (pid ${runtime.redis.pid}), stopped on exit`,
}[runtime.redis.source];
const lost = runtime.lostTasks;

console.log(
  [
    `Ferry local runtime ready in ${Date.now() - startedAt} ms`,
    `  Console     ${runtime.url}/   (open it in a browser)`,
    `  HTTP        ${runtime.url}`,
    `  WebSocket   ${runtime.wsUrl}`,
    `  Outbox      ${runtime.outboxUrl}`,
    `  Local API   ${runtime.url}/local/faults · /local/dlqs · /local/webhooks/{provider}   (docs/local-api.md)`,
    `  API key     ${runtime.devApiKey}   (every scope; Authorization: Bearer ${runtime.devApiKey})`,
    runtime.external.secrets
      ? `  Webhook secrets (read by the functions from the secret ${runtime.external.secrets.secretId}):`
      : "  Webhook secrets (dev values unless set in the environment):",
    `    STRIPE_WEBHOOK_SECRET    ${runtime.webhookSecrets.stripe}`,
    `    RAZORPAY_WEBHOOK_SECRET  ${runtime.webhookSecrets.razorpay}`,
    `    PAYU_MERCHANT_KEY        ${runtime.webhookSecrets.payuMerchantKey}`,
    `    PAYU_MERCHANT_SALT       ${runtime.webhookSecrets.payuMerchantSalt}`,
    `  Redis       ${runtime.redis.url} — ${redisWhere}`,
    ...awsBannerLines(runtime),
    ...(lost && lost.found > 0
      ? [
          `  ${lost.found} task(s) were in flight when the runtime last stopped; the local queues do not ` +
            `survive a restart: ${lost.succeeded} had been sent (succeeded), ${lost.failed} marked failed ` +
            "(local_queue_lost, or delivery_unknown if SES was being called).",
        ]
      : []),
    "Press Ctrl+C to stop.",
  ].join("\n"),
);
