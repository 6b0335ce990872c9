/**
 * A real `ws` client for the local WebSocket gateway that records every server message, so tests
 * can wait for the message they expect (bounded by the test timeout, never by a timer).
 */
import { WebSocket } from "ws";

export interface ServerMessageJson {
  readonly type: string;
  readonly taskId?: string;
  readonly task?: {
    readonly id: string;
    readonly status: string;
    readonly version: number;
    readonly attempts: number;
  };
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TestWsClient {
  readonly socket: WebSocket;
  /** Every message received so far, in order. */
  readonly messages: ServerMessageJson[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Resolves with the first message (received before or after the call) matching `match`. */
  waitFor(match: (m: ServerMessageJson) => boolean): Promise<ServerMessageJson>;
  /** Resolves with the `count`-th message received (1-based), waiting if needed. */
  nth(count: number): Promise<ServerMessageJson>;
  close(): Promise<void>;
}

/** Opens a connection; rejects when the upgrade is refused. */
export function openWs(url: string): Promise<TestWsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: ServerMessageJson[] = [];
    const waiters: Array<() => void> = [];
    socket.on("message", (data) => {
      messages.push(JSON.parse(data.toString()) as ServerMessageJson);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.once("unexpected-response", (_req, res) => {
      reject(new Error(`upgrade refused with ${res.statusCode}`));
      res.resume();
    });
    socket.once("error", reject);
    const waitUntil = <T>(found: () => T | undefined): Promise<T> =>
      new Promise((done) => {
        const check = () => {
          const value = found();
          if (value === undefined) waiters.push(check);
          else done(value);
        };
        check();
      });
    socket.once("open", () =>
      resolve({
        socket,
        messages,
        send: (frame) => socket.send(JSON.stringify(frame)),
        sendRaw: (data) => socket.send(data),
        waitFor: (match) => waitUntil(() => messages.find(match)),
        nth: (count) => waitUntil(() => messages[count - 1]),
        close: () =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once("close", () => done());
            socket.close(1000);
          }),
      }),
    );
  });
}

/** The HTTP status of a refused upgrade, or 101 when the connection opened (then closed). */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once("open", () => {
      socket.close(1000);
      resolve(101);
    });
    socket.once("error", reject);
  });
}

/** Re-checks `condition` until it holds (for effects that happen after a reply, e.g. $disconnect). */
export async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}
