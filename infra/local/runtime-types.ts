/** The local runtime's public shapes: what it reads (manifest, options) and what it hands back. */
import type { QueueName, QueueSpec } from "#shared/app/manifest.ts";
import type { AwsProxy } from "./aws/aws-proxy.ts";
import type { ExternalEndpoint } from "./aws/external-endpoints.ts";
import type { FaultSwitches } from "./aws/fault-switches.ts";
import type { Denial } from "./aws/local-iam.ts";
import type { OutboxEmail } from "./aws/ses-emulator.ts";
import type { EmulatedQueue, QueueCreation } from "./aws/sqs-emulator.ts";
import type { LocalFunctionSpec } from "./functions/load-handler.ts";
import type { GatewayHttpRoute } from "./gateways/http-routes.ts";
import type { GatewayWsRoute } from "./gateways/ws-gateway.ts";
import type { SweepOutcome } from "./process/lost-tasks.ts";
import type { RedisSource } from "./process/redis-choice.ts";

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
  /** Settings for every function (need variables only where the need is), applied last. */
  readonly env?: Record<string, string>;
  /** Redis to use; default REDIS_URL, else a private redis-server (below). */
  readonly redisUrl?: string;
  /**
   * Where the private redis-server keeps its data across restarts; default `redis/` beside the
   * state file (`.ferry/redis`), or nothing kept when there is no state file.
   */
  readonly dataDir?: string;
  /**
   * Settle, at start, the tasks whose queue message a previous run lost (infra/local/process/lost-tasks.ts).
   * Default: only on a private Redis that keeps its data, which no other runtime can be using.
   */
  readonly sweepLostTasks?: boolean;
  /**
   * Poll the manifest's queues and invoke their workers; default true. Off for a benchmark of the
   * HTTP path alone (bench/), where the messages a route sends must not be consumed on the same
   * CPU (on AWS the workers run elsewhere).
   */
  readonly pollQueues?: boolean;
  /** Silences the runtime's own logs (handlers log as they like). */
  readonly quiet?: boolean;
  /**
   * Where to write the state file for CLIs; false writes none. Default `.ferry/local.json`. Its
   * directory is the runtime's own: it holds its lock (one runtime per directory) and its Redis data.
   */
  readonly stateFile?: string | false;
  /** Enforce each function's IAM role on its AWS calls; default true (FERRY_LOCAL_IAM=off: false). */
  readonly iam?: boolean;
  /**
   * Emulate SES's event publishing (the mailbox simulator, ses-mailbox-simulator.ts) onto the
   * events queue; default true (FERRY_LOCAL_SES_EVENTS=off: false).
   */
  readonly sesEvents?: boolean;
  /**
   * Most sandboxes each function without a reservedConcurrency starts (past it, its
   * invocations share the least busy one); default FERRY_LOCAL_SANDBOXES, else one per core but one (at least 1).
   */
  readonly localSandboxes?: number;
  /** Directory function entries are relative to; default the repository root. */
  readonly rootDir?: string;
}

/** What the runtime uses outside its process, each with the variable that named it. */
export interface ExternalServices {
  /** With the queues this start created there and those it found. */
  readonly sqs?: ExternalEndpoint & QueueCreation;
  readonly ses?: ExternalEndpoint;
  /** The secret the functions read by reference (created by this start, or found there). */
  readonly secrets?: ExternalEndpoint & {
    readonly secretId: string;
    readonly arn: string;
    readonly created: boolean;
  };
}

export interface WebhookSecrets {
  readonly stripe: string;
  readonly razorpay: string;
  readonly payuMerchantKey: string;
  readonly payuMerchantSalt: string;
}

export interface LocalRuntime {
  readonly url: string;
  readonly wsUrl: string;
  readonly callbackUrl: string;
  readonly outboxUrl: string;
  readonly upstash: { readonly url: string; readonly token: string };
  /** REST requests (round trips) and commands the functions' Upstash proxy has served. */
  upstashStats(): { readonly requests: number; readonly commands: number };
  readonly sqs: {
    readonly endpoint: string;
    readonly region: string;
    readonly queueUrls: Partial<Record<QueueName, EmulatedQueue>>;
  };
  readonly ses: { readonly endpoint: string };
  /**
   * The edges the functions' SQS, SES (and, with an external Secrets Manager, secret) calls pass
   * through: inspectors see and fault them.
   */
  readonly aws: { readonly sqs: AwsProxy; readonly ses: AwsProxy; readonly secrets?: AwsProxy };
  /** The services found outside this process (FERRY_LOCAL_*_ENDPOINT); empty: all in process. */
  readonly external: ExternalServices;
  /** The fault switches `/local/faults` turns on and off (aws/fault-switches.ts). */
  readonly faults: Pick<FaultSwitches, "list" | "add" | "remove" | "clear">;
  /** Local IAM (local-iam.ts): whether it is enforced, and every call it refused. */
  readonly iam: { readonly enforced: boolean; readonly denials: readonly Denial[] };
  readonly redis: {
    readonly url: string;
    readonly source: RedisSource;
    readonly pid?: number;
    readonly dataDir?: string;
  };
  /** What the start-up sweep found of tasks whose message a previous run lost (if it ran). */
  readonly lostTasks?: SweepOutcome;
  readonly devApiKey: string;
  readonly webhookSecrets: WebhookSecrets;
  /** The whole environment of one function's sandbox, as the stack would give it. */
  environmentOf(functionName: string): Record<string, string>;
  outbox(): Promise<OutboxEmail[]>;
  /** Kills a function's sandboxes mid-invocation, as a crashed container (fault tests). */
  crashFunction(functionName: string): Promise<void>;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}
