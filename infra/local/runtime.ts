/**
 * The local runtime: Ferry's Lambda handlers, unchanged, in one process, with the real AWS SDK
 * clients pointed at in-process emulators.
 *
 *   Redis (REDIS_URL, else a private redis-server keeping its data in .ferry/redis)
 *     └ Upstash REST proxy ─ UPSTASH_REDIS_REST_URL/TOKEN
 *   fauxqs (every manifest queue + DLQ) ─ AWS_ENDPOINT_URL_SQS, <QUEUE>_QUEUE_URL, pollers
 *   aws-ses-v2-local ─ AWS_ENDPOINT_URL_SESV2, GET /local/outbox
 *   (or any of SQS, SES, Secrets Manager at an external endpoint: aws/external-endpoints.ts)
 *   node:http on 127.0.0.1:PORT ─ console (/), HTTP API (any path), WebSocket API (/ws),
 *     @connections (/_ws/@connections/{id}, so WS_CALLBACK_URL = http://127.0.0.1:PORT/_ws)
 *
 * Each function runs in a sandbox of its own (a worker thread, see function-host.ts) with
 * exactly the environment the stack gives it (function-env.ts), so the runtime's own process.env
 * is never changed and several runtimes may run in one process.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import { functionsConfigProblems } from "#shared/app/function-config.ts";
import {
  manifest as appManifest,
  QUEUE_NAMES,
  type QueueName,
  type QueueSpec,
  SCOPES,
} from "#shared/app/manifest.ts";
import { ConfigError } from "#shared/config.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { provideSecret, startSesBackend, startSqsBackend } from "./aws/aws-backends.ts";
import { type AwsProxy, credentialOf, startAwsProxy } from "./aws/aws-proxy.ts";
import { externalAwsFrom, localRegionFrom, probeExternalEndpoints } from "./aws/external-endpoints.ts";
import { createFaultSwitches } from "./aws/fault-switches.ts";
import { LATENCY_VARIABLE, parseLatencyMs, withLatency } from "./aws/latency-proxy.ts";
import { createLocalIam } from "./aws/local-iam.ts";
import { createMailboxSimulator } from "./aws/ses-mailbox-simulator.ts";
import { LOCAL_AWS_CREDENTIALS } from "./aws/sqs-emulator.ts";
import {
  accessKeyOf,
  functionEnvironment,
  type LocalTargets,
  localSettings,
} from "./functions/function-env.ts";
import { parseLocalSandboxes, SANDBOXES_VARIABLE } from "./functions/function-host.ts";
import { consoleLog, LOCAL_ACCOUNT_ID, type LocalLog, silentLog } from "./functions/lambda-context.ts";
import { createFunctionInvoker } from "./functions/load-handler.ts";
import { createConsoleSite } from "./gateways/console-site.ts";
import { createDocsSite } from "./gateways/docs-site.ts";
import { createHttpGateway } from "./gateways/http-gateway.ts";
import { createLocalControlApi } from "./gateways/local-control-api.ts";
import { closeServer, createRuntimeServer, listen } from "./gateways/runtime-server.ts";
import { createWsGateway } from "./gateways/ws-gateway.ts";
import {
  acquireLocalDirectory,
  defaultLocalStatePath,
  type LocalState,
  removeLocalState,
  writeLocalState,
} from "./process/local-state.ts";
import { sweepLostTasks } from "./process/lost-tasks.ts";
import { chooseRedis, redisUrlProblem } from "./process/redis-choice.ts";
import { startPrivateRedis } from "./process/redis-server.ts";
import { type QueuePoller, startQueuePoller } from "./queues/sqs-poller.ts";
import type { LocalManifest, LocalRuntime, LocalRuntimeOptions, WebhookSecrets } from "./runtime-types.ts";
import { startUpstashProxy } from "./upstash/upstash-proxy.ts";

// This module stays the runtime's public face: its shapes and the Redis choice live in the files
// above, re-exported here so callers (main, tests) import one module.
export { type ChosenRedis, chooseRedis, type RedisChoice, type RedisSource } from "./process/redis-choice.ts";
export type {
  ExternalServices,
  LocalManifest,
  LocalRuntime,
  LocalRuntimeOptions,
  WebhookSecrets,
} from "./runtime-types.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log: LocalLog = options.quiet ? silentLog : consoleLog;
  const manifest: LocalManifest = options.manifest ?? appManifest;
  const outerEnv = { ...process.env, ...options.env };
  const region = options.env?.AWS_REGION ?? localRegionFrom(outerEnv);
  // FERRY_LOCAL_*_ENDPOINT: SQS, SES, Secrets Manager outside this process (malformed: refused now).
  const external = externalAwsFrom(outerEnv);
  // FERRY_LOCAL_SANDBOXES: each function's local sandbox cap (malformed: refused now).
  const localSandboxes = options.localSandboxes ?? parseLocalSandboxes(outerEnv[SANDBOXES_VARIABLE]);
  const externalCredentials = external.credentials;
  const stateFile = options.stateFile === undefined ? defaultLocalStatePath() : options.stateFile;
  const localDir = stateFile ? dirname(stateFile) : undefined;
  const dataDir = options.dataDir ?? (localDir ? join(localDir, "redis") : undefined);
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

  try {
    // One runtime per directory: a second would write the same state file and Redis data.
    if (localDir && stateFile) onStop("directory lock", acquireLocalDirectory(localDir, stateFile));
    // Before anything is started: an external endpoint that does not answer is named at once.
    await probeExternalEndpoints(external);
    const redis = await chooseRedis({
      configuredUrl: options.redisUrl ?? outerEnv.REDIS_URL,
      configuredProblem: (url) => redisUrlProblem(url),
      startPrivate: () => startPrivateRedis(dataDir ? { dataDir } : {}),
    });
    onStop("redis", () => redis.stop());

    const upstash = await startUpstashProxy({
      redisUrl: redis.url,
      token: randomBytes(24).toString("base64url"),
      // FERRY_LOCAL_LATENCY_MS: a database this many ms away (see upstash-proxy.ts).
      environment: outerEnv,
    });
    onStop("Upstash proxy", () => upstash.close());

    // Behind the edge: the in-process emulators, or external endpoints (aws/aws-backends.ts).
    const sqsBackend = await startSqsBackend({
      external,
      // The emulator ignores `worker`; fixture manifests name workers the app manifest does not know.
      queues: manifest.queues as Partial<Record<QueueName, QueueSpec>>,
      region,
      onStop,
    });
    const externalSqs = external.endpoints.sqs;
    const ses = await startSesBackend({ external, onStop });
    const externalSes = external.endpoints.ses;

    // The functions reach AWS through the local edge (aws-proxy.ts), as they would AWS's front
    // door; behind it, FERRY_LOCAL_LATENCY_MS adds a network's delay, then the emulators (or the
    // endpoint a caller's AWS_ENDPOINT_URL_* setting names, such as a test's fault proxy).
    const aws = await withLatency(
      {
        sqs: options.env?.AWS_ENDPOINT_URL_SQS ?? sqsBackend.endpoint,
        ses: options.env?.AWS_ENDPOINT_URL_SESV2 ?? ses.endpoint,
      },
      parseLatencyMs(outerEnv[LATENCY_VARIABLE]),
    );
    onStop("latency proxies", () => aws.close());
    // Calls to an external endpoint are signed anew with its credentials (aws/resign.ts).
    // Signed for the endpoint's own host, which a latency proxy between them sets.
    const resignFor = (endpoint: string) => ({ resign: { credentials: externalCredentials, endpoint } });
    const sqsEdge = await startAwsProxy(aws.endpoints.sqs, externalSqs ? resignFor(externalSqs.url) : {});
    onStop("SQS edge", () => sqsEdge.close());
    const sesEdge = await startAwsProxy(aws.endpoints.ses, externalSes ? resignFor(externalSes.url) : {});
    onStop("SES edge", () => sesEdge.close());
    // The runtime's own SQS client (pollers, /local/dlqs): straight to the emulator, past the
    // edge, as the event source mapping is not a function's call. Stopped after the pollers.
    const sqsClient = new SQSClient({
      endpoint: sqsBackend.endpoint,
      region,
      credentials: externalSqs ? externalCredentials : LOCAL_AWS_CREDENTIALS,
    });
    onStop("SQS client", () => sqsClient.destroy());

    // Secrets Manager, only external: the functions' secret, created or completed there, read by
    // reference through an edge of its own (local IAM checks the read as the stack grants it).
    const externalSecrets = external.endpoints.secrets;
    const secret = await provideSecret({
      external,
      region,
      settings: localSettings(outerEnv, options.env),
      upstashToken: upstash.token,
    });
    let secretsEdge: AwsProxy | undefined;
    if (externalSecrets && secret) {
      const edge = await startAwsProxy(externalSecrets.url, resignFor(externalSecrets.url));
      onStop("Secrets Manager edge", () => edge.close());
      secretsEdge = edge;
    }

    // The server listens before the environment is final (its port is part of it), so every
    // function call waits for `ready`: no sandbox may start before its environment is known.
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const settings = localSettings(outerEnv, options.env);
    let targets: LocalTargets | undefined;
    // What a function sees once its cold start has overlaid its secret (the start-up check).
    const secretValues = secret?.values ?? {};
    const environmentOf = (name: string): Record<string, string> => {
      const spec = manifest.functions[name];
      if (!spec || !targets) throw new Error(`No environment for function ${name}`);
      return functionEnvironment(
        { name, memoryMb: spec.memoryMb, needs: spec.needs ?? [] },
        targets,
        settings,
      );
    };
    const functions = createFunctionInvoker({
      functions: manifest.functions,
      rootDir: options.rootDir ?? REPO_ROOT,
      identity: { region, accountId: LOCAL_ACCOUNT_ID },
      log,
      environmentOf,
      ready,
      localSandboxes,
    });
    // Registered before the servers and pollers, so it runs after them: $disconnect handlers and
    // in-flight batches still have their sandboxes.
    onStop("function sandboxes", () => functions.stop());
    const invoke = functions.invoke;
    const identity = { apiId: randomBytes(5).toString("hex"), accountId: LOCAL_ACCOUNT_ID };
    // IAM as the stack writes it, on every AWS call a function makes (off: FERRY_LOCAL_IAM=off).
    const iamEnforced = options.iam ?? outerEnv.FERRY_LOCAL_IAM !== "off";
    const iam = createLocalIam({
      region,
      functions: manifest.functions,
      // An external SQS may write ARNs of its own account and region; IAM judges every call by
      // the local ARN of its queue's name, so the role is written with those.
      queueArns: Object.fromEntries(
        Object.entries(sqsBackend.queueUrls).map(([name, queue]) => [
          name,
          externalSqs && queue
            ? `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${queue.name}`
            : (queue?.arn ?? ""),
        ]),
      ),
      emailFrom: settings.EMAIL_FROM,
      sesConfigurationSet: settings.SES_CONFIGURATION_SET,
      webSocketApiId: identity.apiId,
      secretArn: secret?.arn,
      accessKeyOf,
    });
    if (iamEnforced) {
      sqsEdge.use(iam.inspector);
      sesEdge.use(iam.inspector);
      secretsEdge?.use(iam.inspector);
    }
    // After IAM, as on AWS: a call its role refuses is refused whatever a switch says.
    const functionByAccessKey = new Map(
      Object.keys(manifest.functions).map((name) => [accessKeyOf(name), name]),
    );
    const faults = createFaultSwitches({
      edges: { ses: sesEdge, sqs: sqsEdge },
      functionOf: (accessKeyId) => functionByAccessKey.get(accessKeyId),
      environmentOf,
    });
    onStop("fault switches", () => faults.close());
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
      ...(iamEnforced
        ? {
            authorizeManagement: (req: IncomingMessage, method: string, connectionId: string) =>
              iam.authorizeManagement(
                credentialOf(req.headers.authorization).accessKeyId,
                method,
                connectionId,
              ),
          }
        : {}),
    });

    // The documents name this runtime's own URLs, known once the port is: built on first request.
    let publicUrls: { apiUrl: string; wsUrl: string } | undefined;
    // The key every local page and the dev banner offer (every scope; written to Redis below).
    const devApiKey = outerEnv.FERRY_DEV_API_KEY || "ferry-dev-key";
    const docs = createDocsSite({
      urls: () => publicUrls ?? {},
      devApiKey: () => devApiKey,
    });
    const consoleSite = createConsoleSite({ devApiKey: () => devApiKey });
    // What the functions verify with: the secret's values when they read one.
    const webhookSecrets: WebhookSecrets = {
      stripe: secretValues.STRIPE_WEBHOOK_SECRET ?? settings.STRIPE_WEBHOOK_SECRET ?? "",
      razorpay: secretValues.RAZORPAY_WEBHOOK_SECRET ?? settings.RAZORPAY_WEBHOOK_SECRET ?? "",
      payuMerchantKey: secretValues.PAYU_MERCHANT_KEY ?? settings.PAYU_MERCHANT_KEY ?? "",
      payuMerchantSalt: secretValues.PAYU_MERCHANT_SALT ?? settings.PAYU_MERCHANT_SALT ?? "",
    };
    const localApi = createLocalControlApi({
      faults,
      dlqs: {
        sqs: sqsClient,
        queues: sqsBackend.queueUrls,
        fifo: (name) => manifest.queues[name]?.fifo ?? false,
      },
      webhooks: { baseUrl: () => publicUrls?.apiUrl ?? "", secrets: webhookSecrets },
      log,
    });
    const server = createRuntimeServer({
      httpGateway,
      wsGateway,
      outbox: () => ses.outbox(),
      log,
      docs,
      console: consoleSite,
      localApi,
    });
    const port = await listen(server, options.port ?? Number(outerEnv.PORT ?? 3000));
    onStop("HTTP server", () => closeServer(server));
    onStop("WebSocket connections", () => wsGateway.close());

    const url = `http://127.0.0.1:${port}`;
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const callbackUrl = `${url}/_ws`;
    publicUrls = { apiUrl: url, wsUrl };
    targets = {
      upstash,
      region,
      sqsEndpoint: sqsEdge.endpoint,
      sesEndpoint: sesEdge.endpoint,
      queueUrls: sqsBackend.queueUrls,
      callbackUrl,
      wsUrl,
      ...(secret && secretsEdge ? { secrets: { endpoint: secretsEdge.endpoint, arn: secret.arn } } : {}),
    };
    // Every function's cold-start check, now rather than on its first request: a bad setting
    // (RATE_LIMITS={) would otherwise leave a runtime that says it is ready and answers 500.
    const problems = functionsConfigProblems(manifest.functions, (name) => ({
      ...environmentOf(name),
      ...secretValues,
    }));
    if (problems.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    }
    markReady();

    const { putApiKey } = await import("#shared/auth/api-keys.ts");
    const admin = createRedisClient({ url: upstash.url, token: upstash.token, timeoutMs: 5000 });
    await putApiKey(admin, { secret: devApiKey, name: "local dev key", scopes: SCOPES });
    // Before any queue is polled: what is in flight now can only be what a previous run lost. Not
    // with an external SQS: its queues outlive this runtime, so the messages may still be there.
    const lostTasks =
      (options.sweepLostTasks ?? (redis.dataDir !== undefined && !externalSqs))
        ? await sweepLostTasks(admin)
        : undefined;

    const pollers: QueuePoller[] = [];
    onStop("SQS pollers", () => Promise.all(pollers.map((p) => p.stop())).then(() => undefined));
    // SES's events for what the emulator accepted (the mailbox simulator's addresses included),
    // onto the events queue as the stack's EventBridge rule delivers them. FERRY_LOCAL_SES_EVENTS=off
    // stops it (emails then end at `succeeded` with no delivery state, as without a destination).
    const eventsQueue = sqsBackend.queueUrls.events;
    if (eventsQueue && (options.sesEvents ?? outerEnv.FERRY_LOCAL_SES_EVENTS !== "off")) {
      const simulator = createMailboxSimulator({ sqs: sqsClient, queueUrl: eventsQueue.url, region, log });
      const unobserve = sesEdge.observe(simulator.observer);
      onStop("SES mailbox simulator", async () => {
        unobserve();
        await simulator.settled();
      });
    }
    for (const name of options.pollQueues === false ? [] : QUEUE_NAMES) {
      const spec = manifest.queues[name];
      const queue = sqsBackend.queueUrls[name];
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
      upstashStats: () => upstash.stats(),
      sqs: { endpoint: sqsBackend.endpoint, region, queueUrls: sqsBackend.queueUrls },
      ses: { endpoint: ses.endpoint },
      aws: { sqs: sqsEdge, ses: sesEdge, ...(secretsEdge ? { secrets: secretsEdge } : {}) },
      external: {
        ...(externalSqs && sqsBackend.creation ? { sqs: { ...externalSqs, ...sqsBackend.creation } } : {}),
        ...(externalSes ? { ses: externalSes } : {}),
        ...(externalSecrets && secret
          ? {
              secrets: {
                ...externalSecrets,
                secretId: external.secretId,
                arn: secret.arn,
                created: secret.created,
              },
            }
          : {}),
      },
      faults,
      iam: { enforced: iamEnforced, denials: iam.denials },
      redis: {
        url: redis.url,
        source: redis.source,
        ...(redis.pid ? { pid: redis.pid } : {}),
        ...(redis.dataDir ? { dataDir: redis.dataDir } : {}),
      },
      ...(lostTasks ? { lostTasks } : {}),
      devApiKey,
      webhookSecrets,
      environmentOf,
      outbox: () => ses.outbox(),
      crashFunction: (name) => functions.crash(name),
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
        devApiKey,
        webhookSecrets: runtime.webhookSecrets,
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
