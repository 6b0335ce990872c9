/**
 * The app manifest: the one description of Ferry's functions, HTTP routes, WebSocket routes and
 * queues. The CDK stack (infra/stack.ts) and the local runtime (infra/local/) both read it, so
 * what is deployed and what runs offline cannot drift apart. Tests check both against it.
 */

export const SCOPES = ["emails:send", "tasks:read", "payments:read", "realtime:connect"] as const;
export type Scope = (typeof SCOPES)[number];

export const RATE_LIMIT_POLICIES = ["api", "emails", "webhooks"] as const;
export type RateLimitPolicyName = (typeof RATE_LIMIT_POLICIES)[number];

/** What a function needs from the stack: each need becomes environment variables and IAM grants. */
export type FunctionNeed =
  | "emailQueue:send" // EMAIL_QUEUE_URL + sqs:SendMessage
  | "paymentQueue:send" // PAYMENT_QUEUE_URL + sqs:SendMessage
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
  readonly function: FunctionName;
  readonly auth: RouteAuth;
  /** Rate-limit policies applied to this route, all decided at once. */
  readonly rateLimit: readonly RateLimitPolicyName[];
}

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default` or a value of the route selection expression. */
  readonly routeKey: string;
  readonly function: FunctionName;
}

export const QUEUE_NAMES = ["emails", "payments"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface QueueSpec {
  readonly fifo: boolean;
  readonly worker: FunctionName;
  readonly batchSize: number;
  /** Ignored for FIFO queues (AWS does not allow a batching window on them). */
  readonly maxBatchingWindowSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
}

const functions = {
  health: {
    entry: "functions/http/health.ts",
    description: "GET /health: liveness and dependency checks",
    timeoutSeconds: 5,
    memoryMb: 256,
    needs: [],
  },
  notFound: {
    entry: "functions/http/not-found.ts",
    description: "Catch-all route: 404 problem+json for unknown paths",
    timeoutSeconds: 3,
    memoryMb: 128,
    needs: [],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

const httpRoutes = [
  { method: "GET", path: "/health", function: "health", auth: { kind: "none" }, rateLimit: [] },
] as const satisfies readonly HttpRoute[];

/** Served for any request no route matches (API Gateway's `$default` route). */
const fallbackRoute: FunctionName = "notFound";

const webSocketRoutes = [] as const satisfies readonly WebSocketRoute[];

/** Queues are added with their workers; each name maps to `<NAME>_QUEUE_URL` in functions' env. */
const queues: Partial<Record<QueueName, QueueSpec>> = {};

export const manifest = {
  functions: functions as Record<FunctionName, FunctionSpec>,
  http: { routes: httpRoutes as readonly HttpRoute[], fallback: fallbackRoute },
  webSocket: {
    /** API Gateway's route selection expression; the local gateway applies the same rule. */
    routeSelectionExpression: "$request.body.action",
    routes: webSocketRoutes as readonly WebSocketRoute[],
  },
  queues,
} as const;

export type AppManifest = typeof manifest;
