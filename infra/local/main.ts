/**
 * `npm run dev`: starts the local runtime, prints how to reach it, and on SIGINT or SIGTERM
 * stops everything it started (emulators, a private redis-server) and exits 0.
 * Environment: PORT (default 3000, 0 = any free port), REDIS_URL, FERRY_DEV_API_KEY, and any
 * handler configuration (EMAIL_FROM, webhook secrets, RATE_LIMITS...).
 */
import { startLocalRuntime } from "./runtime.ts";

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

const redisWhere = {
  configured: "REDIS_URL",
  machine: "the Redis already running on this machine",
  private: `a private redis-server (pid ${runtime.redis.pid}), stopped on exit`,
}[runtime.redis.source];

console.log(
  [
    `Ferry local runtime ready in ${Date.now() - startedAt} ms`,
    `  HTTP        ${runtime.url}`,
    `  WebSocket   ${runtime.wsUrl}`,
    `  Outbox      ${runtime.outboxUrl}`,
    `  API key     ${runtime.devApiKey}   (every scope; Authorization: Bearer ${runtime.devApiKey})`,
    "  Webhook secrets (dev values unless set in the environment):",
    `    STRIPE_WEBHOOK_SECRET    ${runtime.webhookSecrets.stripe}`,
    `    RAZORPAY_WEBHOOK_SECRET  ${runtime.webhookSecrets.razorpay}`,
    `    PAYU_MERCHANT_KEY        ${runtime.webhookSecrets.payuMerchantKey}`,
    `    PAYU_MERCHANT_SALT       ${runtime.webhookSecrets.payuMerchantSalt}`,
    `  Redis       ${runtime.redis.url} — ${redisWhere}`,
    `  SQS         ${runtime.sqs.endpoint}   SES ${runtime.ses.endpoint}`,
    "Press Ctrl+C to stop.",
  ].join("\n"),
);

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
