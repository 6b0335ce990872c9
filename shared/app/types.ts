/** Types of the app manifest (see shared/app/manifest.ts). */

export const SCOPES = ["emails:send", "tasks:read", "payments:read", "realtime:connect"] as const;
export type Scope = (typeof SCOPES)[number];

export const RATE_LIMIT_POLICIES = ["api", "emails", "webhooks"] as const;
export type RateLimitPolicyName = (typeof RATE_LIMIT_POLICIES)[number];

export const QUEUE_NAMES = ["emails", "payments"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** What a function needs from the stack: each need becomes environment variables and IAM grants. */
export type FunctionNeed =
  | "emailQueue:send" // EMAIL_QUEUE_URL + sqs:SendMessage
  | "paymentQueue:send" // PAYMENTS_QUEUE_URL + sqs:SendMessage
  | "ses:send" // EMAIL_FROM + ses:SendEmail
  | "websocket:manage" // WS_CALLBACK_URL + execute-api:ManageConnections
  | "websocket:url"; // WS_PUBLIC_URL (the wss:// URL handed to clients)

export interface FunctionSpec {
  /** Entry file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly needs: readonly FunctionNeed[];
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type RouteAuth =
  | { readonly kind: "none" }
  | { readonly kind: "apiKey"; readonly scopes: readonly Scope[] }
  /** Authenticated by the provider's signature on the raw body, inside the handler. */
  | { readonly kind: "webhookSignature" };

export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/tasks/{taskId}`. */
  readonly path: string;
  readonly function: string;
  readonly auth: RouteAuth;
  /** Rate-limit policies applied to this route, all decided at once. */
  readonly rateLimit: readonly RateLimitPolicyName[];
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
}

/** One feature's slice of the manifest; shared/app/manifest.ts merges the slices. */
export interface ManifestPart {
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly httpRoutes?: readonly HttpRoute[];
  readonly webSocketRoutes?: readonly WebSocketRoute[];
  readonly queues?: Partial<Readonly<Record<QueueName, QueueSpec>>>;
}
