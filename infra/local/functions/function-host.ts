/**
 * One local function as the Lambda service scales it: a pool of sandboxes (function-sandbox.ts,
 * each a worker thread with its own module instances), one invocation per sandbox at a time.
 * An invocation goes to an idle warm sandbox; when every sandbox is busy and the pool is below
 * its cap, a new sandbox is started (a cold start, with its own init budget) and the invocation
 * waits for it, as Lambda starts a new execution environment. So a sequential caller sees one
 * sandbox, and 16 concurrent callers see up to 16, each with its own caches and breakers.
 *
 * At the cap:
 *   - the cap is the function's reservedConcurrency: the invocation is throttled, as Lambda
 *     throttles it (TooManyRequestsException, 429). API Gateway then answers its 500 for the
 *     failed integration, and an event source mapping never gets there: its maxConcurrency may
 *     not exceed the reservation (shared/app/validate.ts), and a throttled batch would fail whole
 *     and come back after its visibility timeout, as the local poller does with any failure;
 *   - the cap is the local one (FERRY_LOCAL_SANDBOXES, a limit of this machine, not of the
 *     function): the invocation queues for the first sandbox to free up. Queueing keeps every
 *     sandbox's history one Lambda could have (one invocation at a time through its module
 *     state: Powertools' per-invocation metrics and trace segment, the breaker, the caches);
 *     sharing a busy sandbox would interleave two invocations in one module instance, which
 *     Lambda never does. What queueing costs is latency, and that is the machine's limit.
 *     The function's timeout does not count the wait (it starts when its handler is called).
 * Idle sandboxes stay until stop().
 */
import { availableParallelism } from "node:os";
import { FunctionSandbox, type FunctionSandboxOptions } from "./function-sandbox.ts";

export { INIT_TIMEOUT_MS } from "./function-sandbox.ts";

/** The variable that caps each function's local sandboxes (1: one sandbox per function). */
export const SANDBOXES_VARIABLE = "FERRY_LOCAL_SANDBOXES";

/** The local cap by default: one sandbox per core, and at least 2 so concurrency is exercised. */
export const defaultLocalSandboxes = (): number => Math.max(2, availableParallelism());

/** The local cap from FERRY_LOCAL_SANDBOXES: unset or empty is the default; anything else must be a whole number ≥ 1. */
export function parseLocalSandboxes(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return defaultLocalSandboxes();
  const cap = Number(value);
  if (!Number.isInteger(cap) || cap < 1) {
    throw new Error(`${SANDBOXES_VARIABLE} must be a whole number of at least 1 (got "${value}")`);
  }
  return cap;
}

export interface FunctionHostOptions extends FunctionSandboxOptions {
  /** The function's reserved concurrency: its cap, past which invocations are throttled. */
  readonly reservedConcurrency?: number | undefined;
  /** The cap when there is no reservation (default defaultLocalSandboxes()); past it, invocations queue. */
  readonly localSandboxes?: number | undefined;
}

interface Waiting {
  readonly event: unknown;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** What Lambda's Invoke answers at a function's reserved concurrency. */
export class TooManyRequestsError extends Error {
  override readonly name = "TooManyRequestsException";
  readonly statusCode = 429;
  readonly reason = "ReservedFunctionConcurrentInvocationLimitExceeded";
}

export class FunctionHost {
  /** Sandboxes that take invocations, busy or idle. */
  private readonly live = new Set<FunctionSandbox>();
  /** Warm and free, the most recently used last (it is the one reused, as Lambda tends to). */
  private readonly idle: FunctionSandbox[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly cap: number;
  private readonly throttles: boolean;
  private started = 0;

  constructor(private readonly options: FunctionHostOptions) {
    this.throttles = options.reservedConcurrency !== undefined;
    this.cap = options.reservedConcurrency ?? options.localSandboxes ?? defaultLocalSandboxes();
  }

  /** Sandboxes started so far (each a cold start): for tests and the benchmark's notes. */
  get coldStarts(): number {
    return this.started;
  }

  /** Sandboxes alive now (busy or idle). */
  get size(): number {
    return this.live.size;
  }

  invoke(event: unknown): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const job: Waiting = { event, resolve, reject };
      const sandbox = this.idle.pop() ?? (this.live.size < this.cap ? this.start() : undefined);
      if (sandbox) this.runOn(sandbox, job);
      else if (this.throttles) reject(new TooManyRequestsError("Rate Exceeded."));
      else this.waiting.push(job);
    });
  }

  /**
   * Ends every sandbox at once, as a crash of the function's containers would: their running
   * invocations fail with Runtime.ExitError; queued ones run in new sandboxes.
   */
  async crash(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.terminate()));
  }

  /** Ends every sandbox (the runtime is stopping); queued invocations fail. */
  async stop(): Promise<void> {
    const exit = Object.assign(new Error("The local runtime is stopping"), { name: "Runtime.ExitError" });
    for (const job of this.waiting.splice(0)) job.reject(exit);
    await this.crash();
  }

  private start(): FunctionSandbox {
    const sandbox = new FunctionSandbox(this.options, (ended) => this.ended(ended));
    this.started++;
    this.live.add(sandbox);
    return sandbox;
  }

  /** Released before the caller hears back, so a caller's next invocation finds it warm. */
  private runOn(sandbox: FunctionSandbox, job: Waiting): void {
    sandbox.run(job.event).then(
      (payload) => {
        this.release(sandbox);
        job.resolve(payload);
      },
      (error: Error) => {
        this.release(sandbox);
        job.reject(error);
      },
    );
  }

  /** An invocation is over: its sandbox, if it lives on, takes the next queued one or waits. */
  private release(sandbox: FunctionSandbox): void {
    if (!this.live.has(sandbox) || sandbox.busy) return;
    const next = this.waiting.shift();
    if (next) this.runOn(sandbox, next);
    else this.idle.push(sandbox);
  }

  /** A sandbox timed out or exited: it leaves the pool, and a queued invocation may start a new one. */
  private ended(sandbox: FunctionSandbox): void {
    this.live.delete(sandbox);
    const at = this.idle.indexOf(sandbox);
    if (at >= 0) this.idle.splice(at, 1);
    while (this.waiting.length > 0 && this.live.size < this.cap) {
      const next = this.waiting.shift();
      if (next) this.runOn(this.start(), next);
    }
  }
}
