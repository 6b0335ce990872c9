/**
 * The WebSocket protocol (DESIGN.md "WebSocket"): client frames, validated with zod, and the
 * messages the server sends. Every server message has a `type`; errors never close the socket.
 */
import * as z from "zod/mini";
import type { Task } from "#shared/tasks/task.ts";

/** Task ids are embedded in Redis keys verbatim: printable ASCII, no spaces, bounded. */
const taskId = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
  );

export const clientMessage = z.discriminatedUnion("action", [
  z.object({ action: z.literal("subscribe"), taskId }),
  z.object({ action: z.literal("unsubscribe"), taskId }),
  z.object({ action: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export const CLIENT_ACTIONS = ["subscribe", "unsubscribe", "ping"] as const;

export type ErrorCode =
  | "malformed_frame"
  | "unknown_action"
  | "invalid_message"
  | "task_not_found"
  | "too_many_subscriptions"
  | "not_connected"
  | "internal_error";

export type ServerMessage =
  | { readonly type: "subscribed"; readonly taskId: string }
  | { readonly type: "unsubscribed"; readonly taskId: string }
  | { readonly type: "task.updated"; readonly task: Task }
  | { readonly type: "pong" }
  | {
      readonly type: "error";
      readonly error: { readonly code: ErrorCode; readonly message: string };
      /** The task a failed subscribe or unsubscribe was about, so clients can tell failures apart. */
      readonly taskId?: string;
    };

export const errorMessage = (code: ErrorCode, message: string, taskId?: string): ServerMessage => ({
  type: "error",
  error: { code, message },
  ...(taskId === undefined ? {} : { taskId }),
});
