/** The parent's side of bench/ws-swarm.ts: a child process of WebSocket clients, driven over IPC. */
import { type ChildProcess, fork } from "node:child_process";

export interface FinalSeen {
  readonly conn: number;
  readonly taskId: string;
  readonly status: string;
  readonly updatedAt: string;
  /** Wall clock in ms, sub-ms precision (see ws-swarm.ts). */
  readonly at: number;
}

export interface Swarm {
  /** Opens the urls (connection indexes continue from the last call). */
  open(urls: readonly string[], concurrency: number): Promise<number>;
  /** Subscribes each connection to its task and resolves once every `subscribed` reply came. */
  subscribe(pairs: readonly (readonly [number, string])[]): Promise<void>;
  /** Sends the subscribes without waiting for their replies. */
  subscribeNow(pairs: readonly (readonly [number, string])[]): void;
  /** Calls `listener` for every terminal task.updated any connection receives. */
  onFinal(listener: (seen: FinalSeen) => void): () => void;
  close(): Promise<void>;
}

export const wallClockMs = (): number => performance.timeOrigin + performance.now();

export function startSwarm(): Swarm {
  const child: ChildProcess = fork(new URL("./ws-swarm.ts", import.meta.url), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const listeners = new Set<(seen: FinalSeen) => void>();
  const waiting = new Map<number, { resolve: (m: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on("message", (message: { type: string; id?: number } & Record<string, unknown>) => {
    if (message.type === "final") {
      for (const listener of listeners) listener(message as unknown as FinalSeen);
      return;
    }
    const w = message.id === undefined ? undefined : waiting.get(message.id);
    if (!w || message.id === undefined) return;
    waiting.delete(message.id);
    if (message.type === "error") w.reject(new Error(`ws swarm: ${String(message.message)}`));
    else w.resolve(message);
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      // Nothing will answer any more: fail what still waits instead of hanging the benchmark.
      for (const w of waiting.values()) w.reject(new Error(`ws swarm exited (${code ?? signal})`));
      waiting.clear();
      resolve();
    }),
  );
  /** Every request has a deadline: the benchmark stops by itself. */
  const ask = <T>(command: Record<string, unknown>, timeoutMs = 180_000) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`ws swarm: no answer to ${String(command.type)} in ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A) => {
          clearTimeout(timer);
          f(a);
        };
      waiting.set(id, { resolve: settle(resolve as (m: unknown) => void), reject: settle(reject) });
      child.send({ ...command, id });
    });
  return {
    async open(urls, concurrency) {
      const reply = await ask<{ count: number }>({ type: "open", urls, concurrency });
      return reply.count;
    },
    async subscribe(pairs) {
      await ask({ type: "subscribe", pairs });
    },
    subscribeNow(pairs) {
      ask({ type: "subscribe", pairs }).catch(() => undefined);
    },
    onFinal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (child.exitCode === null && child.connected) child.send({ type: "close", id: 0 });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
