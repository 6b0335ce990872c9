/**
 * The app's vocabulary (scopes, rate-limit policies, queues) and the shape of its declaration:
 * per function its entry, needs and routes (see shared/app/manifest.ts). Lambda code imports
 * this file and its own feature's slice, never the merged manifest.
 */
import type { FunctionNeed } from "./needs.ts";

export const SCOPES = ["emails:send", "tasks:read", "payments:read", "realtime:connect"] as const;
export type Scope = (typeof SCOPES)[number];

export const RATE_LIMIT_POLICIES = ["api", "emails", "webhooks"] as const;
export type RateLimitPolicyName = (typeof RATE_LIMIT_POLICIES)[number];

export const QUEUE_NAMES = ["emails", "payments", "events"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** What a function needs from the stack: shared/app/needs.ts maps each to variables and grants. */
export type { FunctionNeed } from "./needs.ts";

export interface FunctionSpec {
  /** Entry file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly needs: readonly FunctionNeed[];
  /** HTTP routes the function serves. */
  readonly http?: readonly RouteSpec[];
  /** WebSocket route keys the function serves (`$connect`, `subscribe`, ...). */
  readonly webSocket?: readonly string[];
  /**
   * Reserved concurrency: at most this many instances, and that many kept out of the account's
   * pool. Off by default: a new account's quota may be as low as 10, and Lambda refuses a
   * reservation that leaves fewer than 10 unreserved. See README, Scaling.
   */
  readonly reservedConcurrency?: number;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type RouteAuth =
  | { readonly kind: "none" }
  | { readonly kind: "apiKey"; readonly scopes: readonly Scope[] }
  /** Authenticated by the provider's signature on the raw body, inside the handler. */
  | { readonly kind: "webhookSignature" };

/** An HTTP route as its function declares it. */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/tasks/{taskId}`. */
  readonly path: string;
  readonly auth: RouteAuth;
  /** Rate-limit policies applied to this route, all decided at once. */
  readonly rateLimit: readonly RateLimitPolicyName[];
}

/** An HTTP route of the merged manifest: the declared route and the function serving it. */
export interface HttpRoute extends RouteSpec {
  readonly function: string;
}

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default` or a value of the route selection expression. */
  readonly routeKey: string;
  readonly function: string;
}

export interface QueueSpec {
  readonly fifo: boolean;
  readonly worker: string;
  readonly batchSize: number;
  /** Ignored for FIFO queues (AWS does not allow a batching window on them). */
  readonly maxBatchingWindowSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
  /**
   * Most concurrent worker instances the event source mapping invokes (AWS: 2–1000).
   * @default DEFAULT_MAX_CONCURRENCY
   */
  readonly maxConcurrency?: number;
}

/** Fits a new account and the SES sandbox (1 email/s, 200/day). */
export const DEFAULT_MAX_CONCURRENCY = 2;

/** One feature's slice of the manifest; shared/app/manifest.ts merges the slices. */
export interface ManifestPart {
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly queues?: Partial<Readonly<Record<QueueName, QueueSpec>>>;
}
