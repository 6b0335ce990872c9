/**
 * One execution environment of a local function, as Lambda runs one: its handler in a worker
 * thread of its own, with exactly its function's environment and its own module instances
 * (configuration caches, breakers, SDK clients). The pool that hands it invocations
 * (function-host.ts) gives it one at a time until the pool is at its local cap.
 *
 * The timeout is enforced as Lambda does: the invocation fails with "Task timed out" and the
 * sandbox is thrown away (it takes no new invocation, and its thread is terminated once no other
 * invocation is running in it), so the function's next invocation runs elsewhere.
 *
 * As on Lambda, the init (loading the entry module: the cold start) has a budget of its own,
 * INIT_TIMEOUT_MS, and the function's timeout counts from the moment its handler is called.
 * Counting the init against the timeout would time out cold starts locally (a worker thread
 * loading TypeScript under a busy CPU) that Lambda lets finish.
 */
import { Worker } from "node:worker_threads";
import type { FunctionWorkerData, InvokeMessage, InvokeReply, SerializedError } from "./function-worker.ts";
import { type LambdaFunctionSettings, type LambdaIdentity, LambdaTimeoutError } from "./lambda-context.ts";

const BOOT = new URL("./function-worker-boot.mjs", import.meta.url);

/** Lambda's init phase limit for on-demand functions. */
export const INIT_TIMEOUT_MS = 10_000;

export interface FunctionSandboxOptions {
  readonly functionName: string;
  readonly entry: string;
  readonly rootDir: string;
  readonly settings: LambdaFunctionSettings;
  readonly identity: LambdaIdentity;
  /** The function's whole environment: nothing else is visible to its handler. */
  readonly env: Readonly<Record<string, string>>;
}

interface Pending {
  /** The handler was called (the init is over): the function's timeout starts. */
  readonly started: () => void;
  handlerCalled: boolean;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The error an invocation failed with inside the worker, with its name and stack kept. */
function revive(error: SerializedError): Error {
  return Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
}

export class FunctionSandbox {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Takes no new invocation (timed out, init failed, or exited); the thread ends once idle. */
  private retired = false;
  /** When its last invocation ended: the pool reuses the most recently used idle sandbox. */
  lastUsed = 0;

  /** `onRetire` is called once, when the sandbox stops taking invocations. */
  constructor(
    private readonly options: FunctionSandboxOptions,
    private readonly onRetire: (sandbox: FunctionSandbox) => void,
  ) {
    const workerData: FunctionWorkerData = {
      functionName: options.functionName,
      entry: options.entry,
      rootDir: options.rootDir,
      settings: options.settings,
      identity: options.identity,
    };
    this.worker = new Worker(BOOT, { workerData, env: { ...options.env } });
    this.worker.on("message", (reply: InvokeReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      if ("started" in reply) {
        waiting.started();
        return;
      }
      this.pending.delete(reply.id);
      // Failed before its handler was called: the init failed. Lambda resets the environment
      // and runs the init again on the next invocation; a worker cannot (Node keeps a module
      // whose evaluation threw as failed), so the sandbox retires and the next one starts cold.
      if (!reply.ok && !waiting.handlerCalled) this.retire();
      if (reply.ok) waiting.resolve(reply.payload);
      else waiting.reject(revive(reply.error));
      this.ended();
    });
    const fail = (error: Error) => {
      const waiting = [...this.pending.values()];
      this.pending.clear();
      this.retire();
      for (const w of waiting) w.reject(error);
    };
    this.worker.on("error", (error) =>
      fail(Object.assign(error, { name: error.name || "Runtime.ExitError" })),
    );
    this.worker.on("exit", (code) =>
      fail(
        Object.assign(new Error(`Runtime exited with error: exit status ${code}`), {
          name: "Runtime.ExitError",
        }),
      ),
    );
  }

  /** Invocations running in it now. */
  get load(): number {
    return this.pending.size;
  }

  run(event: unknown): Promise<unknown> {
    if (this.retired) throw new Error("this sandbox takes no more invocations");
    const id = this.nextId++;
    const timeoutMs = this.options.settings.timeoutSeconds * 1000;
    return new Promise<unknown>((resolve, reject) => {
      let startedAt = Date.now();
      const expire = (message: () => string) => () => {
        this.pending.delete(id);
        // Lambda ends the sandbox of a timed-out invocation; the next one runs elsewhere.
        this.retire();
        this.ended();
        reject(new LambdaTimeoutError(message()));
      };
      // Until the handler is called, only the init budget runs (a warm sandbox calls it at once).
      let timer = setTimeout(
        expire(() => `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`),
        INIT_TIMEOUT_MS,
      );
      const pending: Pending = {
        handlerCalled: false,
        started: () => {
          pending.handlerCalled = true;
          clearTimeout(timer);
          startedAt = Date.now();
          timer = setTimeout(
            expire(() => `Task timed out after ${((Date.now() - startedAt) / 1000).toFixed(2)} seconds`),
            timeoutMs,
          );
        },
        resolve: (payload) => {
          clearTimeout(timer);
          resolve(payload);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.pending.set(id, pending);
      this.worker.postMessage({ id, event } satisfies InvokeMessage);
    });
  }

  /** Calls `listener` once the thread has ended. */
  onExit(listener: () => void): void {
    this.worker.once("exit", listener);
  }

  /** Ends the sandbox now: its running invocations fail with Runtime.ExitError. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onRetire(this);
  }

  /** An invocation is over: a retired sandbox's thread ends with its last one. */
  private ended(): void {
    this.lastUsed = performance.now();
    if (this.retired && this.pending.size === 0) void this.worker.terminate();
  }
}
