/**
 * The local runtime: Ferry's Lambda handlers, unchanged, in one process, with the real AWS SDK
 * clients pointed at in-process emulators.
 *
 *   Redis (REDIS_URL, else 127.0.0.1:6379 if it answers, else a private redis-server)
 *     └ Upstash REST proxy ─ UPSTASH_REDIS_REST_URL/TOKEN
 *   fauxqs (every manifest queue + DLQ) ─ AWS_ENDPOINT_URL_SQS, <QUEUE>_QUEUE_URL, pollers
 *   aws-ses-v2-local ─ AWS_ENDPOINT_URL_SESV2, GET /local/outbox
 *   node:http on 127.0.0.1:PORT ─ HTTP API (any path), WebSocket API (/ws),
 *     @connections (/_ws/@connections/{id}, so WS_CALLBACK_URL = http://127.0.0.1:PORT/_ws)
 *
 * ONE RUNTIME PER PROCESS. Handlers read their configuration (process.env) once per process and
 * keep it, as a Lambda container does; a second runtime in the same process would leave them
 * talking to the first one's (stopped) emulators. Starting a second one therefore throws. Tests
 * get one per file (vitest runs each file in its own process).
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  manifest as appManifest,
  QUEUE_NAMES,
  type QueueName,
  type QueueSpec,
  SCOPES,
} from "#shared/app/manifest.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { createHttpGateway } from "./http-gateway.ts";
import { consoleLog, LOCAL_ACCOUNT_ID, type LocalLog, silentLog } from "./lambda-context.ts";
import { LATENCY_VARIABLE, parseLatencyMs, withLatency } from "./latency-proxy.ts";
import { createFunctionInvoker } from "./load-handler.ts";
import { defaultLocalStatePath, type LocalState, removeLocalState, writeLocalState } from "./local-state.ts";
import { chooseRedis } from "./redis-choice.ts";
import { redisAnswers, startPrivateRedis } from "./redis-server.ts";
import { applyEnvironment, handlerEnvironment } from "./runtime-env.ts";
import { closeServer, createRuntimeServer, listen } from "./runtime-server.ts";
import type { LocalManifest, LocalRuntime, LocalRuntimeOptions } from "./runtime-types.ts";
import { startSesEmulator } from "./ses-emulator.ts";
import { startSqsEmulator } from "./sqs-emulator.ts";
import { type QueuePoller, startQueuePoller } from "./sqs-poller.ts";
import { startUpstashProxy } from "./upstash-proxy.ts";
import { createWsGateway } from "./ws-gateway.ts";

// This module stays the runtime's public face: its shapes and the Redis choice live in the files
// above, re-exported here so callers (main, tests) import one module.
export { type ChosenRedis, chooseRedis, type RedisChoice, type RedisSource } from "./redis-choice.ts";
export type { LocalManifest, LocalRuntime, LocalRuntimeOptions, WebhookSecrets } from "./runtime-types.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

let started = false;

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  if (started) {
    throw new Error(
      "A local runtime was already started in this process: handlers keep their first config, so start one per process",
    );
  }
  const log: LocalLog = options.quiet ? silentLog : consoleLog;
  const manifest: LocalManifest = options.manifest ?? appManifest;
  const outerEnv = { ...process.env, ...options.env };
  const region = options.env?.AWS_REGION ?? "us-east-1";
  const stateFile = options.stateFile === undefined ? defaultLocalStatePath() : options.stateFile;
  const machine = options.machineRedis ?? { host: "127.0.0.1", port: 6379 };
  const stopSteps: Array<{ name: string; run: () => Promise<void> | void }> = [];
  const onStop = (name: string, run: () => Promise<void> | void) => stopSteps.unshift({ name, run });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const step of stopSteps) {
        try {
          await step.run();
        } catch (error) {
          log.error(`Stopping ${step.name} failed`, error);
        }
      }
    })();
    return stopping;
  };

  // Registered first so it runs last: $disconnect handlers and in-flight batches still see it.
  let restoreEnv: () => void = () => undefined;
  onStop("environment", () => restoreEnv());

  try {
    const redis = await chooseRedis({
      configuredUrl: options.redisUrl ?? outerEnv.REDIS_URL,
      machineUrl: `redis://${machine.host}:${machine.port}`,
      machineAnswers: () => redisAnswers(machine.host, machine.port),
      startPrivate: () => startPrivateRedis(),
    });
    onStop("redis", () => redis.stop());

    const upstash = await startUpstashProxy({
      redisUrl: redis.url,
      token: randomBytes(24).toString("base64url"),
    });
    onStop("Upstash proxy", () => upstash.close());

    // The emulator ignores `worker`; fixture manifests name workers the app manifest does not know.
    const sqsEmulator = await startSqsEmulator({
      queues: manifest.queues as Partial<Record<QueueName, QueueSpec>>,
      region,
    });
    onStop("SQS emulator", () => sqsEmulator.stop());

    const ses = await startSesEmulator();
    onStop("SES emulator", () => ses.stop());

    // FERRY_LOCAL_LATENCY_MS: handlers reach the AWS emulators through a delay, as over a network.
    const aws = await withLatency(
      { sqs: sqsEmulator.endpoint, ses: ses.endpoint },
      parseLatencyMs(outerEnv[LATENCY_VARIABLE]),
    );
    onStop("latency proxies", () => aws.close());

    // The server listens before the environment is final (its port is part of it), so every
    // function call waits for `ready`: no handler module may load before process.env is set.
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const invoke = createFunctionInvoker({
      functions: manifest.functions,
      rootDir: options.rootDir ?? REPO_ROOT,
      identity: { region, accountId: LOCAL_ACCOUNT_ID },
      log,
      ready,
    });
    const identity = { apiId: randomBytes(5).toString("hex"), accountId: LOCAL_ACCOUNT_ID };
    const httpGateway = createHttpGateway({
      ...identity,
      routes: manifest.http.routes,
      fallback: manifest.http.fallback,
      invoke,
      log,
    });
    const wsGateway = createWsGateway({
      ...identity,
      routes: manifest.webSocket.routes,
      routeSelectionExpression: manifest.webSocket.routeSelectionExpression,
      invoke,
      log,
    });

    const server = createRuntimeServer({ httpGateway, wsGateway, outbox: () => ses.outbox(), log });
    const port = await listen(server, options.port ?? Number(outerEnv.PORT ?? 3000));
    onStop("HTTP server", () => closeServer(server));
    onStop("WebSocket connections", () => wsGateway.close());

    const url = `http://127.0.0.1:${port}`;
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const callbackUrl = `${url}/_ws`;
    const env = handlerEnvironment({
      upstash,
      region,
      sqsEndpoint: aws.endpoints.sqs,
      sesEndpoint: aws.endpoints.ses,
      queueUrls: sqsEmulator.queueUrls,
      callbackUrl,
      wsUrl,
      overrides: options.env,
    });
    restoreEnv = applyEnvironment({ ...env, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined });
    started = true;
    markReady();

    const devApiKey = outerEnv.FERRY_DEV_API_KEY || "ferry-dev-key";
    const { putApiKey } = await import("#shared/auth/api-keys.ts");
    await putApiKey(createRedisClient({ url: upstash.url, token: upstash.token, timeoutMs: 5000 }), {
      secret: devApiKey,
      name: "local dev key",
      scopes: SCOPES,
    });

    const sqsClient = new SQSClient({
      endpoint: sqsEmulator.endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const pollers: QueuePoller[] = [];
    onStop("SQS pollers", async () => {
      await Promise.all(pollers.map((p) => p.stop()));
      sqsClient.destroy();
    });
    for (const name of QUEUE_NAMES) {
      const spec = manifest.queues[name];
      const queue = sqsEmulator.queueUrls[name];
      if (!spec || !queue) continue;
      pollers.push(
        startQueuePoller({
          queue: { ...spec, name: queue.name, url: queue.url, arn: queue.arn },
          sqs: sqsClient,
          region,
          invoke,
          log,
        }),
      );
    }

    const runtime: LocalRuntime = {
      url,
      wsUrl,
      callbackUrl,
      outboxUrl: `${url}/local/outbox`,
      upstash: { url: upstash.url, token: upstash.token },
      sqs: { endpoint: sqsEmulator.endpoint, region, queueUrls: sqsEmulator.queueUrls },
      ses: { endpoint: ses.endpoint },
      redis: { url: redis.url, source: redis.source, ...(redis.pid ? { pid: redis.pid } : {}) },
      devApiKey,
      webhookSecrets: {
        stripe: env.STRIPE_WEBHOOK_SECRET ?? "",
        razorpay: env.RAZORPAY_WEBHOOK_SECRET ?? "",
        payuMerchantKey: env.PAYU_MERCHANT_KEY ?? "",
        payuMerchantSalt: env.PAYU_MERCHANT_SALT ?? "",
      },
      env,
      outbox: () => ses.outbox(),
      stop,
    };

    if (stateFile) {
      const state: LocalState = {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        url,
        wsUrl,
        callbackUrl,
        outboxUrl: runtime.outboxUrl,
        upstash: runtime.upstash,
        sqs: runtime.sqs,
        ses: runtime.ses,
        redis: { url: redis.url, source: redis.source },
      };
      writeLocalState(state, stateFile);
      onStop("state file", () => removeLocalState(stateFile));
    }
    return runtime;
  } catch (error) {
    await stop();
    throw error;
  }
}
