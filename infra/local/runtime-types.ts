/** The local runtime's public shapes: what it reads (manifest, options) and what it hands back. */
import type { QueueName, QueueSpec } from "#shared/app/manifest.ts";
import type { AwsProxy } from "./aws-proxy.ts";
import type { GatewayHttpRoute } from "./http-routes.ts";
import type { LocalFunctionSpec } from "./load-handler.ts";
import type { RedisSource } from "./redis-choice.ts";
import type { OutboxEmail } from "./ses-emulator.ts";
import type { EmulatedQueue } from "./sqs-emulator.ts";
import type { GatewayWsRoute } from "./ws-gateway.ts";

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
  /** The edges the functions' SQS and SES calls pass through: inspectors see and fault them. */
  readonly aws: { readonly sqs: AwsProxy; readonly ses: AwsProxy };
  readonly redis: { readonly url: string; readonly source: RedisSource; readonly pid?: number };
  readonly devApiKey: string;
  readonly webhookSecrets: WebhookSecrets;
  /** The whole environment of one function's sandbox, as the stack would give it. */
  environmentOf(functionName: string): Record<string, string>;
  outbox(): Promise<OutboxEmail[]>;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}
