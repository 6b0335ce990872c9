/**
 * One local function as the Lambda service runs it: its handler in a worker thread of its own,
 * with exactly its function's environment and its own module instances (configuration caches,
 * SDK clients), so a handler that reads a variable its function does not get fails here as it
 * would on AWS. The host enforces the timeout as Lambda does: the invocation fails with "Task
 * timed out" and the sandbox is thrown away (the thread is terminated once no other invocation
 * is running in it), so the next invocation starts cold.
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

export interface FunctionHostOptions {
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
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The error an invocation failed with inside the worker, with its name and stack kept. */
function revive(error: SerializedError): Error {
  return Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
}

class Sandbox {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Set after a timeout: takes no new invocation and ends once the running ones have. */
  retired = false;

  constructor(options: FunctionHostOptions, onExit: (sandbox: Sandbox) => void) {
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
      if (reply.ok) waiting.resolve(reply.payload);
      else waiting.reject(revive(reply.error));
      this.endIfRetiredAndIdle();
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      onExit(this);
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

  endIfRetiredAndIdle(): void {
    if (this.retired && this.pending.size === 0) void this.worker.terminate();
  }
}

export class FunctionHost {
  private sandbox: Sandbox | undefined;
  private nextId = 0;
  private readonly sandboxes = new Set<Sandbox>();

  constructor(private readonly options: FunctionHostOptions) {}

  invoke(event: unknown): Promise<unknown> {
    const sandbox = this.current();
    const id = this.nextId++;
    const timeoutMs = this.options.settings.timeoutSeconds * 1000;
    return new Promise<unknown>((resolve, reject) => {
      let startedAt = Date.now();
      const expire = (message: () => string) => () => {
        sandbox.pending.delete(id);
        // Lambda ends the sandbox of a timed-out invocation; the next one starts cold.
        sandbox.retired = true;
        if (this.sandbox === sandbox) this.sandbox = undefined;
        sandbox.endIfRetiredAndIdle();
        reject(new LambdaTimeoutError(message()));
      };
      // Until the handler is called, only the init budget runs (a warm sandbox calls it at once).
      let timer = setTimeout(
        expire(() => `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`),
        INIT_TIMEOUT_MS,
      );
      sandbox.pending.set(id, {
        started: () => {
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
      });
      sandbox.worker.postMessage({ id, event } satisfies InvokeMessage);
    });
  }

  /** Ends every sandbox (the runtime is stopping). */
  async stop(): Promise<void> {
    const all = [...this.sandboxes];
    this.sandbox = undefined;
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  private current(): Sandbox {
    if (!this.sandbox) {
      const sandbox = new Sandbox(this.options, (ended) => {
        this.sandboxes.delete(ended);
        if (this.sandbox === ended) this.sandbox = undefined;
      });
      this.sandboxes.add(sandbox);
      this.sandbox = sandbox;
    }
    return this.sandbox;
  }
}
