/**
 * What the server answers to one client frame. Pure domain: it sees the connection id and the
 * frame text, never an API Gateway event, and returns the replies in the order to send them.
 * The frame is parsed here whatever route API Gateway chose: a route only exists because of
 * the frame's `action`, so the frame is the single source of truth (and `$default` gets the
 * frames no route matched: malformed ones and unknown actions).
 */
import "#shared/zod/messages.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import {
  CLIENT_ACTIONS,
  type ClientMessage,
  clientMessage,
  errorMessage,
  type ServerMessage,
} from "./messages.ts";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, subscribe, unsubscribe } from "./subscriptions.ts";

export interface ClientFrame {
  readonly connectionId: string;
  /** The frame as API Gateway passes it: text, or base64 of a binary frame. */
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
}

const MALFORMED = 'Frames must be JSON text objects with a string "action", e.g. {"action":"ping"}.';

type Parsed =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly reply: ServerMessage };

function parseFrame(frame: ClientFrame): Parsed {
  if (frame.isBase64Encoded || frame.body === undefined)
    return { ok: false, reply: errorMessage("malformed_frame", MALFORMED) };
  let value: unknown;
  try {
    value = JSON.parse(frame.body);
  } catch {
    return { ok: false, reply: errorMessage("malformed_frame", MALFORMED) };
  }
  const action =
    typeof value === "object" && value !== null ? (value as { action?: unknown }).action : undefined;
  if (typeof action !== "string") return { ok: false, reply: errorMessage("malformed_frame", MALFORMED) };
  if (action.startsWith("$")) {
    // `$connect`, `$disconnect` and `$default` are API Gateway's own routes, never a client's.
    return {
      ok: false,
      reply: errorMessage(
        "unknown_action",
        `Actions starting with "$" are reserved. Use one of: ${CLIENT_ACTIONS.join(", ")}.`,
      ),
    };
  }
  if (!(CLIENT_ACTIONS as readonly string[]).includes(action)) {
    const shown = action.length > 64 ? `${action.slice(0, 64)}…` : action;
    return {
      ok: false,
      reply: errorMessage(
        "unknown_action",
        `Unknown action "${shown}". Use one of: ${CLIENT_ACTIONS.join(", ")}.`,
      ),
    };
  }
  const result = clientMessage.safeParse(value);
  if (!result.success) {
    const details = result.error.issues
      .map((i) => `${i.path.join(".") || "(frame)"}: ${i.message}`)
      .join("; ");
    return { ok: false, reply: errorMessage("invalid_message", `Invalid "${action}" message: ${details}.`) };
  }
  return { ok: true, message: result.data };
}

async function handleSubscribe(
  redis: RedisClient,
  connectionId: string,
  taskId: string,
): Promise<ServerMessage[]> {
  const outcome = await subscribe(redis, connectionId, taskId);
  switch (outcome.kind) {
    case "subscribed":
      return [
        { type: "subscribed", taskId },
        { type: "task.updated", task: outcome.task },
      ];
    case "task_not_found":
      // Unknown and another key's task read the same, so ids cannot be probed.
      return [errorMessage("task_not_found", `No task ${taskId} for this API key.`, taskId)];
    case "too_many_subscriptions":
      return [
        errorMessage(
          "too_many_subscriptions",
          `A connection may follow at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} tasks; unsubscribe from one first.`,
          taskId,
        ),
      ];
    case "not_connected":
      return [
        errorMessage(
          "not_connected",
          "This connection is no longer registered; reconnect with a new ticket.",
          taskId,
        ),
      ];
  }
}

export async function handleClientFrame(redis: RedisClient, frame: ClientFrame): Promise<ServerMessage[]> {
  const parsed = parseFrame(frame);
  if (!parsed.ok) return [parsed.reply];
  const message = parsed.message;
  switch (message.action) {
    case "ping":
      return [{ type: "pong" }];
    case "subscribe":
      return handleSubscribe(redis, frame.connectionId, message.taskId);
    case "unsubscribe":
      await unsubscribe(redis, frame.connectionId, message.taskId);
      return [{ type: "unsubscribed", taskId: message.taskId }];
  }
}
