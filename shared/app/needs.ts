/**
 * The one table that says what each function need stands for: the environment variables it sets
 * and the IAM statements it grants. The CDK stack (infra/stack.ts) turns it into Lambda
 * environment and role policies, the local runtime (infra/local/) into each handler's own
 * environment and the role it enforces, and the cold-start check (shared/app/function-config.ts)
 * into the variables a function refuses to start without. Adding a need is one entry here.
 *
 * Values and resources are symbolic: each target resolves them (a CDK token in the stack, an
 * emulator URL or a local ARN in the local runtime).
 */
import type { QueueName } from "./types.ts";

/** Where a variable's value comes from; the stack and the local runtime each resolve these. */
export type EnvSource =
  | { readonly kind: "queueUrl"; readonly queue: QueueName }
  /** The configured sender address (stack setting `emailFrom`). */
  | { readonly kind: "emailFrom" }
  /** The WebSocket API's https:// management endpoint (`@connections`). */
  | { readonly kind: "webSocketCallbackUrl" }
  /** The wss:// URL clients connect to. */
  | { readonly kind: "webSocketPublicUrl" }
  /** The SES configuration set every email is sent with, when the stack names one (optional). */
  | { readonly kind: "sesConfigurationSet"; readonly optional: true };

/** What a statement is granted on. */
export type ResourceRef =
  | { readonly kind: "queue"; readonly queue: QueueName }
  /**
   * Every SES identity the send is checked against (the From address, its domain and, in the
   * sandbox, each recipient), narrowed by an `ses:FromAddress` condition on the sender; plus the
   * configuration set when the stack names one.
   */
  | { readonly kind: "sesSend" }
  /** `POST @connections/{id}` of the WebSocket API's stage. */
  | { readonly kind: "webSocketConnections" };

export interface Grant {
  readonly actions: readonly string[];
  readonly resource: ResourceRef;
}

export interface NeedSpec {
  readonly description: string;
  readonly env: Readonly<Record<string, EnvSource>>;
  readonly grants: readonly Grant[];
}

/** Queue actions the Lambda event source mapping performs for its function. */
const CONSUME_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
  "sqs:GetQueueUrl",
] as const;

export const NEEDS = {
  "emailQueue:send": {
    description: "sends messages to the emails queue",
    env: { EMAIL_QUEUE_URL: { kind: "queueUrl", queue: "emails" } },
    grants: [{ actions: ["sqs:SendMessage"], resource: { kind: "queue", queue: "emails" } }],
  },
  "emailQueue:consume": {
    description: "is the emails queue's worker (and changes its messages' visibility for backoff)",
    env: { EMAIL_QUEUE_URL: { kind: "queueUrl", queue: "emails" } },
    grants: [{ actions: CONSUME_ACTIONS, resource: { kind: "queue", queue: "emails" } }],
  },
  "paymentQueue:send": {
    description: "sends messages to the payments FIFO queue",
    env: { PAYMENTS_QUEUE_URL: { kind: "queueUrl", queue: "payments" } },
    grants: [{ actions: ["sqs:SendMessage"], resource: { kind: "queue", queue: "payments" } }],
  },
  "paymentQueue:consume": {
    description: "is the payments queue's worker",
    env: { PAYMENTS_QUEUE_URL: { kind: "queueUrl", queue: "payments" } },
    grants: [{ actions: CONSUME_ACTIONS, resource: { kind: "queue", queue: "payments" } }],
  },
  "ses:send": {
    description: "sends email through SES from the configured sender",
    env: {
      EMAIL_FROM: { kind: "emailFrom" },
      SES_CONFIGURATION_SET: { kind: "sesConfigurationSet", optional: true },
    },
    // SESv2 authorizes every SendEmail (raw content included) as ses:SendEmail.
    grants: [{ actions: ["ses:SendEmail"], resource: { kind: "sesSend" } }],
  },
  "eventsQueue:consume": {
    description: "is the SES events queue's worker",
    env: { EVENTS_QUEUE_URL: { kind: "queueUrl", queue: "events" } },
    grants: [{ actions: CONSUME_ACTIONS, resource: { kind: "queue", queue: "events" } }],
  },
  "websocket:manage": {
    description: "posts to WebSocket connections",
    env: { WS_CALLBACK_URL: { kind: "webSocketCallbackUrl" } },
    grants: [{ actions: ["execute-api:ManageConnections"], resource: { kind: "webSocketConnections" } }],
  },
  "websocket:url": {
    description: "hands clients the WebSocket URL",
    env: { WS_PUBLIC_URL: { kind: "webSocketPublicUrl" } },
    grants: [],
  },
} as const satisfies Record<string, NeedSpec>;

export type FunctionNeed = keyof typeof NEEDS;

export const FUNCTION_NEEDS = Object.keys(NEEDS) as FunctionNeed[];

/** The need that makes a function the worker of `queue` (the stack adds its event source). */
export const CONSUME_NEED: Readonly<Record<QueueName, FunctionNeed>> = {
  emails: "emailQueue:consume",
  payments: "paymentQueue:consume",
  events: "eventsQueue:consume",
};

/** True for a variable that is set only when the deployment has its value (never required). */
export const isOptionalSource = (source: EnvSource): boolean => "optional" in source && source.optional;

/** The variables a set of needs sets, with where each value comes from. */
export function environmentOfNeeds(needs: readonly FunctionNeed[]): Record<string, EnvSource> {
  return Object.assign({}, ...needs.map((need) => NEEDS[need].env));
}

/** The variables a set of needs sets (the names only, as a type). */
export type EnvOfNeeds<N extends FunctionNeed> = N extends FunctionNeed
  ? keyof (typeof NEEDS)[N]["env"]
  : never;

/** The queues a set of needs refers to, and whether any needs the WebSocket API. */
export function referencesOfNeeds(needs: readonly FunctionNeed[]): {
  readonly queues: QueueName[];
  readonly webSocket: boolean;
} {
  const queues = new Set<QueueName>();
  let webSocket = false;
  for (const need of needs) {
    for (const source of Object.values<EnvSource>(NEEDS[need].env)) {
      if (source.kind === "queueUrl") queues.add(source.queue);
      if (source.kind === "webSocketCallbackUrl" || source.kind === "webSocketPublicUrl") webSocket = true;
    }
  }
  return { queues: [...queues], webSocket };
}
