/**
 * The AsyncAPI 3.0 document of the WebSocket protocol (docs/realtime.md), generated from the
 * handler's client-frame schema and the server messages (realtime-messages.ts) with zod's
 * `z.toJSONSchema`, in draft-07 form (AsyncAPI's default schema format is a JSON Schema draft-07
 * superset).
 */
import * as z from "zod/mini";
import { clientMessage } from "#shared/realtime/messages.ts";
import { taskSchema } from "#shared/tasks/schema.ts";
import { meta } from "#shared/zod/meta.ts";
import { componentSchemas, type Json } from "./component-schemas.ts";
import { API_VERSION } from "./openapi.ts";
import {
  errorMessage,
  pongMessage,
  serverMessageSchemas,
  subscribedMessage,
  taskUpdatedMessage,
  unsubscribedMessage,
} from "./realtime-messages.ts";

const [subscribe, unsubscribe, ping] = clientMessage.def.options;
const subscribeFrame = meta(subscribe, { id: "SubscribeFrame" });
const unsubscribeFrame = meta(unsubscribe, { id: "UnsubscribeFrame" });
const pingFrame = meta(ping, { id: "PingFrame" });

const MESSAGES: readonly {
  name: string;
  schema: z.ZodMiniType;
  direction: "send" | "receive";
  summary: string;
}[] = [
  {
    name: "subscribe",
    schema: subscribeFrame,
    direction: "send",
    summary: "Follow a task created with the same API key (at most 100 per connection)",
  },
  {
    name: "unsubscribe",
    schema: unsubscribeFrame,
    direction: "send",
    summary: "Stop following a task (idempotent)",
  },
  {
    name: "ping",
    schema: pingFrame,
    direction: "send",
    summary: "Keep-alive: API Gateway closes connections idle for 10 minutes",
  },
  { name: "subscribed", schema: subscribedMessage, direction: "receive", summary: "A subscribe succeeded" },
  {
    name: "taskUpdated",
    schema: taskUpdatedMessage,
    direction: "receive",
    summary: "A task's current state",
  },
  {
    name: "unsubscribed",
    schema: unsubscribedMessage,
    direction: "receive",
    summary: "An unsubscribe was applied",
  },
  { name: "pong", schema: pongMessage, direction: "receive", summary: "The answer to ping" },
  { name: "error", schema: errorMessage, direction: "receive", summary: "A frame could not be served" },
];

// taskSchema too: a named schema nested in a message must be a component of its own to be $ref'd.
const componentSchemaList = [
  subscribeFrame,
  unsubscribeFrame,
  pingFrame,
  ...serverMessageSchemas,
  taskSchema,
];

const idOf = (schema: z.ZodMiniType) => z.globalRegistry.get(schema)?.id ?? "";

export interface AsyncApiOptions {
  /** ws:// or wss:// URL clients connect to (without the ticket); default the local runtime's. */
  readonly wsUrl?: string;
}

export function buildAsyncApi(options: AsyncApiOptions = {}): Json {
  const url = new URL(options.wsUrl ?? "ws://127.0.0.1:3000/ws");
  const channel = "#/channels/tasks";
  const message = (name: string) => ({ $ref: `${channel}/messages/${name}` });
  const operations: Json = {};
  for (const m of MESSAGES) {
    operations[`${m.direction}${m.name[0]?.toUpperCase()}${m.name.slice(1)}`] = {
      action: m.direction,
      channel: { $ref: channel },
      summary: m.summary,
      messages: [message(m.name)],
      ...(m.name === "subscribe"
        ? { reply: { channel: { $ref: channel }, messages: [message("subscribed"), message("error")] } }
        : {}),
      ...(m.name === "ping" ? { reply: { channel: { $ref: channel }, messages: [message("pong")] } } : {}),
      ...(m.name === "unsubscribe"
        ? { reply: { channel: { $ref: channel }, messages: [message("unsubscribed"), message("error")] } }
        : {}),
    };
  }
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Ferry live task results",
      version: API_VERSION,
      description:
        "Get a single-use ticket with POST /v1/realtime/tickets (scope `realtime:connect`, see /openapi.json), connect to its `url` within 60 s, and subscribe to tasks. The upgrade answers 401 without a ticket and 403 for a forged, expired or used one. Revoking the key closes its connections (code 1000). Frames are JSON text, at most 32 KB.",
    },
    defaultContentType: "application/json",
    servers: {
      ferry: {
        host: url.host,
        pathname: url.pathname,
        protocol: url.protocol.replace(":", ""),
        description: "The `url` of a ticket; API Gateway in a deployment",
      },
    },
    channels: {
      tasks: {
        address: url.pathname,
        title: "Task updates",
        messages: Object.fromEntries(
          MESSAGES.map((m) => [
            m.name,
            { name: m.name, summary: m.summary, payload: { $ref: `#/components/schemas/${idOf(m.schema)}` } },
          ]),
        ),
        bindings: {
          ws: {
            query: {
              type: "object",
              properties: {
                ticket: { type: "string", description: "From POST /v1/realtime/tickets; single use, 60 s" },
              },
              required: ["ticket"],
            },
          },
        },
      },
    },
    operations,
    components: { schemas: componentSchemas(componentSchemaList, { io: "output", target: "draft-7" }) },
  };
}
