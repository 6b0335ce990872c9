/**
 * Following a task over the WebSocket API (docs/realtime.md, /asyncapi.json) as an async
 * iterator: each new state once, in version order, until the task is final. A dropped connection
 * (API Gateway's idle and 2-hour limits, a network blip) is replaced with a fresh ticket and a
 * new subscribe, whose snapshot brings the iterator up to date; versions already yielded are
 * skipped, so a state is never yielded twice.
 */
import { RealtimeError } from "./errors.ts";
import { sleep } from "./retry.ts";
import type { Task } from "./types.ts";

/** The part of the WHATWG WebSocket the client uses (browsers, Node 22+, and the `ws` package). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number }) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike | Promise<WebSocketLike>;

/** globalThis.WebSocket where there is one; on Node 20 the `ws` package. */
export const defaultWebSocket: WebSocketFactory = async (url) => {
  const Native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Native) return new Native(url);
  const { default: WebSocket } = (await import("ws")) as unknown as {
    default: new (url: string) => WebSocketLike;
  };
  return new WebSocket(url);
};

type Event = { kind: "message"; data: string } | { kind: "close"; code: number };

/** Events in arrival order, awaited one at a time. */
class EventQueue {
  private readonly items: Event[] = [];
  private waiting: ((event: Event) => void) | undefined;
  push(event: Event): void {
    const waiter = this.waiting;
    this.waiting = undefined;
    if (waiter) waiter(event);
    else this.items.push(event);
  }
  next(): Promise<Event> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}

export interface WatchOptions {
  /** Connections in a row that may fail before the iterator gives up; default 5. */
  readonly maxReconnects?: number;
  /** Keep-alive ping interval; default 5 minutes (API Gateway closes idle connections at 10). */
  readonly pingIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface WatchDeps {
  readonly ticketUrl: () => Promise<string>;
  readonly webSocket: WebSocketFactory;
}

const isFinal = (task: Task) => task.status === "succeeded" || task.status === "failed";

export async function* watchTask(
  deps: WatchDeps,
  taskId: string,
  options: WatchOptions = {},
): AsyncGenerator<Task> {
  const maxReconnects = options.maxReconnects ?? 5;
  let lastVersion = 0;
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const socket = await deps.webSocket(await deps.ticketUrl());
    const events = new EventQueue();
    socket.addEventListener("open", () => socket.send(JSON.stringify({ action: "subscribe", taskId })));
    socket.addEventListener("message", (event) => events.push({ kind: "message", data: String(event.data) }));
    socket.addEventListener("close", (event) => events.push({ kind: "close", code: event.code }));
    // An error is always followed by a close, which is what the loop acts on.
    socket.addEventListener("error", () => {});
    const keepAlive = setInterval(
      () => socket.send(JSON.stringify({ action: "ping" })),
      options.pingIntervalMs ?? 5 * 60_000,
    );
    const abort = () => events.push({ kind: "close", code: 1000 });
    options.signal?.addEventListener("abort", abort, { once: true });
    try {
      for (;;) {
        const event = await events.next();
        options.signal?.throwIfAborted();
        if (event.kind === "close") break;
        const message = JSON.parse(event.data) as
          | { type: "task.updated"; task: Task }
          | { type: "subscribed"; taskId: string }
          | { type: "error"; error: { code: string; message: string }; taskId?: string }
          | { type: string };
        if (message.type === "subscribed") failures = 0;
        if (message.type === "error" && "error" in message) {
          if (message.error.code === "task_not_found")
            throw new RealtimeError("task_not_found", message.error.message);
          // The server forgot this connection: a new one (and ticket) is the way back.
          if (message.error.code === "not_connected") break;
          continue;
        }
        if (message.type !== "task.updated" || !("task" in message) || message.task.id !== taskId) continue;
        if (message.task.version <= lastVersion) continue;
        lastVersion = message.task.version;
        yield message.task;
        if (isFinal(message.task)) return;
      }
    } finally {
      clearInterval(keepAlive);
      options.signal?.removeEventListener("abort", abort);
      socket.close(1000);
    }
    failures++;
    if (failures > maxReconnects) {
      throw new RealtimeError("disconnected", `the connection dropped ${failures} times in a row`);
    }
    await sleep(Math.min(250 * 2 ** (failures - 1), 5000), options.signal);
  }
}
