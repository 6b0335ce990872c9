/**
 * The WebSocket protocol's server messages as zod schemas, for the AsyncAPI document. The client
 * frames are the handler's own schema (shared/realtime/messages.ts `clientMessage`); the server
 * messages are checked against the handler's ServerMessage type at compile time, so neither
 * side can change without the other.
 */
import * as z from "zod/mini";
import type { ErrorCode, ServerMessage } from "#shared/realtime/messages.ts";
import { taskSchema } from "#shared/tasks/schema.ts";
import { meta } from "#shared/zod/meta.ts";

export const REALTIME_ERROR_CODES = [
  "malformed_frame",
  "unknown_action",
  "invalid_message",
  "task_not_found",
  "too_many_subscriptions",
  "not_connected",
  "internal_error",
] as const satisfies readonly ErrorCode[];
// Every ErrorCode is listed: a code added to the handler's type fails to compile here.
const _allCodes: Exclude<ErrorCode, (typeof REALTIME_ERROR_CODES)[number]> extends never ? true : false =
  true;
void _allCodes;

export const subscribedMessage = meta(z.object({ type: z.literal("subscribed"), taskId: z.string() }), {
  id: "Subscribed",
  description: "A subscribe succeeded; the task's current state follows at once",
});
export const unsubscribedMessage = meta(z.object({ type: z.literal("unsubscribed"), taskId: z.string() }), {
  id: "Unsubscribed",
});
export const taskUpdatedMessage = meta(z.object({ type: z.literal("task.updated"), task: taskSchema }), {
  id: "TaskUpdated",
  description:
    "The task's state: once on subscribe, then on every transition. Ignore one whose `task.version` is not greater than the last seen.",
});
export const pongMessage = meta(z.object({ type: z.literal("pong") }), { id: "Pong" });
export const errorMessage = meta(
  z.object({
    type: z.literal("error"),
    error: z.object({ code: z.enum(REALTIME_ERROR_CODES), message: z.string() }),
    taskId: meta(z.optional(z.string()), {
      description: "The task a failed subscribe or unsubscribe was about",
    }),
  }),
  { id: "RealtimeError", description: "A frame could not be served; the connection stays open" },
);

export const serverMessageSchemas = [
  subscribedMessage,
  unsubscribedMessage,
  taskUpdatedMessage,
  pongMessage,
  errorMessage,
] as const;

type Documented = z.output<(typeof serverMessageSchemas)[number]>;
const _sameMessages: [ServerMessage] extends [Documented]
  ? [Documented] extends [ServerMessage]
    ? true
    : false
  : false = true;
void _sameMessages;
