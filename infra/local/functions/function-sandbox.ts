/**
 * One execution environment of a local function, as Lambda runs one: its handler in a worker
 * thread of its own, with exactly its function's environment and its own module instances
 * (configuration caches, breakers, SDK clients), running one invocation at a time. The pool
 * that hands it invocations is function-host.ts.
 *
 * The timeout is enforced as Lambda does: the invocation fails with "Task timed out" and the
 * sandbox is thrown away (its thread terminated at once), so the function's next invocation
 * finds another sandbox or starts a cold one.
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

interface Running {
  readonly id: number;
  handlerCalled: boolean;
  /** The handler was called (the init is over): the function's timeout starts. */
  readonly started: () => void;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The error an invocation failed with inside the worker, with its name and stack kept. */
function revive(error: SerializedError): Error {
  return Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
}

export class FunctionSandbox {
  private readonly worker: Worker;
  private running: Running | undefined;
  private nextId = 0;
  private ended = false;

  /** `onEnd` is called once, when the sandbox takes no more invocations (timed out or exited). */
  constructor(
    private readonly options: FunctionSandboxOptions,
    private readonly onEnd: (sandbox: FunctionSandbox) => void,
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
      const running = this.running;
      if (!running || running.id !== reply.id) return;
      if ("started" in reply) {
        running.started();
        return;
      }
      this.running = undefined;
      // Failed before its handler was called: the init failed. Lambda resets the environment
      // and runs the init again on the next invocation; a worker cannot (Node keeps a module
      // whose evaluation threw as failed), so the sandbox ends and the next one starts cold.
      if (!reply.ok && !running.handlerCalled) this.end();
      if (reply.ok) running.resolve(reply.payload);
      else running.reject(revive(reply.error));
    });
    const fail = (error: Error) => {
      const running = this.running;
      this.running = undefined;
      this.end();
      running?.reject(error);
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

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Runs one invocation; the pool never hands a busy sandbox another one. */
  run(event: unknown): Promise<unknown> {
    if (this.running) throw new Error("a sandbox runs one invocation at a time");
    if (this.ended) throw new Error("this sandbox has ended");
    const id = this.nextId++;
    const timeoutMs = this.options.settings.timeoutSeconds * 1000;
    return new Promise<unknown>((resolve, reject) => {
      let startedAt = Date.now();
      const expire = (message: () => string) => () => {
        this.running = undefined;
        // Lambda ends the sandbox of a timed-out invocation; the next one runs elsewhere.
        this.end();
        reject(new LambdaTimeoutError(message()));
      };
      // Until the handler is called, only the init budget runs (a warm sandbox calls it at once).
      let timer = setTimeout(
        expire(() => `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`),
        INIT_TIMEOUT_MS,
      );
      const running: Running = {
        id,
        handlerCalled: false,
        started: () => {
          running.handlerCalled = true;
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
      this.running = running;
      this.worker.postMessage({ id, event } satisfies InvokeMessage);
    });
  }

  /** Ends the sandbox: a running invocation fails with Runtime.ExitError. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    void this.worker.terminate();
    this.onEnd(this);
  }
}
