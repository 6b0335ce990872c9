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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  manifest as appManifest,
  QUEUE_NAMES,
  type QueueName,
  type QueueSpec,
  SCOPES,
} from "#infra/manifest.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import {
  createHttpGateway,
  type GatewayHttpRoute,
  gatewayError,
  sendGatewayResponse,
} from "./http-gateway.ts";
import { consoleLog, LOCAL_ACCOUNT_ID, type LocalLog, silentLog } from "./lambda-context.ts";
import { createFunctionInvoker, type LocalFunctionSpec } from "./load-handler.ts";
import { defaultLocalStatePath, type LocalState, removeLocalState, writeLocalState } from "./local-state.ts";
import { type PrivateRedis, redisAnswers, startPrivateRedis } from "./redis-server.ts";
import { type OutboxEmail, startSesEmulator } from "./ses-emulator.ts";
import { type EmulatedQueue, startSqsEmulator } from "./sqs-emulator.ts";
import { type QueuePoller, startQueuePoller } from "./sqs-poller.ts";
import { startUpstashProxy } from "./upstash-proxy.ts";
import { createWsGateway, type GatewayWsRoute } from "./ws-gateway.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** What the runtime reads from a manifest; the app manifest fits, and so do test fixtures. */
export interface LocalManifest {
  readonly functions: Readonly<Record<string, LocalFunctionSpec>>;
  readonly http: { readonly routes: readonly GatewayHttpRoute[]; readonly fallback?: string };
  readonly webSocket: {
    readonly routeSelectionExpression: string;
    readonly routes: readonly GatewayWsRoute[];
  };
  readonly queues: Partial<Record<QueueName, Omit<QueueSpec, "worker"> & { readonly worker: string }>>;
}

export interface LocalRuntimeOptions {
  /** HTTP port on 127.0.0.1; default PORT or 3000; 0 picks a free one. */
  readonly port?: number;
  readonly manifest?: LocalManifest;
  /** Overrides for the handlers' environment (applied last). */
  readonly env?: Record<string, string>;
  /** Redis to use; default REDIS_URL, else the machine's (below), else a private redis-server. */
  readonly redisUrl?: string;
  /** Where "a Redis already running" is looked for; default 127.0.0.1:6379. */
  readonly machineRedis?: { readonly host: string; readonly port: number };
  /** Silences the runtime's own logs (handlers log as they like). */
  readonly quiet?: boolean;
  /** Where to write the state file for CLIs; false writes none. Default `.ferry/local.json`. */
  readonly stateFile?: string | false;
  /** Directory function entries are relative to; default the repository root. */
  readonly rootDir?: string;
}

export interface WebhookSecrets {
  readonly stripe: string;
  readonly razorpay: string;
  readonly payuMerchantKey: string;
  readonly payuMerchantSalt: string;
}

export type RedisSource = "configured" | "machine" | "private";

export interface LocalRuntime {
  readonly url: string;
  readonly wsUrl: string;
  readonly callbackUrl: string;
  readonly outboxUrl: string;
  readonly upstash: { readonly url: string; readonly token: string };
  readonly sqs: {
    readonly endpoint: string;
    readonly region: string;
    readonly queueUrls: Partial<Record<QueueName, EmulatedQueue>>;
  };
  readonly ses: { readonly endpoint: string };
  readonly redis: { readonly url: string; readonly source: RedisSource; readonly pid?: number };
  readonly devApiKey: string;
  readonly webhookSecrets: WebhookSecrets;
  /** The environment handlers see (what the runtime set). */
  readonly env: Readonly<Record<string, string>>;
  outbox(): Promise<OutboxEmail[]>;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}

export interface ChosenRedis {
  readonly url: string;
  readonly source: RedisSource;
  readonly pid?: number;
  stop(): Promise<void>;
}

export interface RedisChoice {
  readonly configuredUrl?: string | undefined;
  readonly machineUrl: string;
  readonly machineAnswers: () => Promise<boolean>;
  readonly startPrivate: () => Promise<PrivateRedis>;
}

/** REDIS_URL if given, else the machine's Redis if it answers, else a private redis-server. */
export async function chooseRedis(choice: RedisChoice): Promise<ChosenRedis> {
  const nothingToStop = async () => undefined;
  if (choice.configuredUrl) return { url: choice.configuredUrl, source: "configured", stop: nothingToStop };
  if (await choice.machineAnswers())
    return { url: choice.machineUrl, source: "machine", stop: nothingToStop };
  const started = await choice.startPrivate();
  return { url: started.url, source: "private", pid: started.pid, stop: () => started.stop() };
}

/** The env var naming each queue's URL (shared/config.ts reads these names). */
const QUEUE_URL_VARIABLES: Record<QueueName, string> = {
  emails: "EMAIL_QUEUE_URL",
  payments: "PAYMENTS_QUEUE_URL",
};

/** Dev-only values, printed at start; any value already in the environment wins. */
const DEV_DEFAULTS = {
  EMAIL_FROM: "ferry@ferry.local",
  STRIPE_WEBHOOK_SECRET: "whsec_ferry_local_development_secret",
  RAZORPAY_WEBHOOK_SECRET: "ferry-local-razorpay-webhook-secret",
  PAYU_MERCHANT_KEY: "ferry-local-payu-key",
  PAYU_MERCHANT_SALT: "ferry-local-payu-salt",
} as const;

/** Sets (or, for undefined, removes) variables and returns how to put the old values back. */
function applyEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const assign = (vars: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  assign(values);
  return () => assign(previous);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" ? new Error(`Port ${port} is in use: set PORT to another port`) : error,
      );
    server.once("error", failed);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Requests still running get a moment to finish; then their connections are cut.
  const cutOff = setTimeout(() => server.closeAllConnections(), 2000);
  await closed;
  clearTimeout(cutOff);
}

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

    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path.startsWith("/_ws/@connections/")) {
        return wsGateway.handleManagement(
          req,
          res,
          decodeURIComponent(path.slice("/_ws/@connections/".length)),
        );
      }
      if (path === "/local/outbox" && req.method === "GET") {
        req.resume();
        ses.outbox().then(
          (emails) =>
            sendGatewayResponse(
              res,
              {
                statusCode: 200,
                headers: { "content-type": "application/json" },
                body: Buffer.from(JSON.stringify({ emails })),
              },
              "local",
            ),
          (error: unknown) => {
            log.error("Reading the SES outbox failed", error);
            sendGatewayResponse(res, gatewayError(502, "SES emulator unavailable"), "local");
          },
        );
        return;
      }
      httpGateway(req, res);
    });
    server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
      if ((req.url ?? "/").split("?")[0] === "/ws") return wsGateway.handleUpgrade(req, socket, head);
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    });
    const port = await listen(server, options.port ?? Number(outerEnv.PORT ?? 3000));
    onStop("HTTP server", () => closeServer(server));
    onStop("WebSocket connections", () => wsGateway.close());

    const url = `http://127.0.0.1:${port}`;
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const callbackUrl = `${url}/_ws`;
    const queueUrlEnv = Object.fromEntries(
      QUEUE_NAMES.flatMap((name) => {
        const queue = sqsEmulator.queueUrls[name];
        return queue ? [[QUEUE_URL_VARIABLES[name], queue.url]] : [];
      }),
    );
    const devDefaults = Object.fromEntries(
      Object.entries(DEV_DEFAULTS).map(([k, v]) => [k, process.env[k] || v]),
    );
    const env: Record<string, string> = {
      ...devDefaults,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // Dummy credentials: the emulators accept any, and real ones must never be used locally.
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      ...queueUrlEnv,
      WS_CALLBACK_URL: callbackUrl,
      WS_PUBLIC_URL: wsUrl,
      ...options.env,
    };
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
