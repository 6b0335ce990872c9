/**
 * One local function as the Lambda service scales it: a pool of sandboxes (function-sandbox.ts,
 * each a worker thread with its own module instances). An invocation goes to an idle warm
 * sandbox (the most recently used); when every sandbox is busy and the pool is below its cap, a
 * new sandbox is started (a cold start, with its own init budget) and the invocation waits for
 * it, as Lambda starts a new execution environment. So a sequential caller sees one sandbox, and
 * 16 concurrent callers see up to 16, each with its own caches and breakers.
 *
 * At the cap, with every sandbox busy:
 *   - the cap is the function's reservedConcurrency: the invocation is throttled, as Lambda
 *     throttles it (TooManyRequestsException, 429). API Gateway then answers its 500 for the
 *     failed integration; an event source mapping never gets there, as its maxConcurrency may
 *     not exceed the reservation (shared/app/validate.ts), and a throttled batch would fail
 *     whole and come back after its visibility timeout, as the local poller does with any failure;
 *   - the cap is the local one (FERRY_LOCAL_SANDBOXES, a limit of this machine, not of the
 *     function): the invocation shares the least busy sandbox. Lambda would run it now, in an
 *     environment of its own; queueing it for a free sandbox would run it later instead, and
 *     serialise the I/O waits Lambda overlaps (200 `$disconnect`s two at a time, each waiting on
 *     Redis, where one thread interleaves them at no cost). Sharing keeps the timing and costs
 *     only this: past the cap, invocations meet in one module instance, as every invocation
 *     did before the pool. FERRY_LOCAL_SANDBOXES=1 is exactly that: one sandbox per function.
 * Idle sandboxes stay until stop().
 */
import { availableParallelism } from "node:os";
import { FunctionSandbox, type FunctionSandboxOptions } from "./function-sandbox.ts";

export { INIT_TIMEOUT_MS } from "./function-sandbox.ts";

/** The variable that caps each function's local sandboxes (1: one sandbox per function). */
export const SANDBOXES_VARIABLE = "FERRY_LOCAL_SANDBOXES";

/**
 * The local cap by default: one sandbox per core but one, which the runtime's own thread (gateway,
 * emulators, proxies, pollers) keeps busy. Measured on 2 cores (BENCHMARKS.md, "Pipeline"), a
 * second createEmail sandbox made ingest slower (186 against 218 requests/s, 9.9 against 7.2 ms
 * of CPU per request): two isolates warming up and contending for the cores the runtime needs.
 * So on 2 cores the default is one sandbox per function, as before the pool.
 */
export const defaultLocalSandboxes = (): number => Math.max(1, availableParallelism() - 1);

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
  /** The cap when there is no reservation (default defaultLocalSandboxes()); past it, invocations share the least busy sandbox. */
  readonly localSandboxes?: number | undefined;
}

/** What Lambda's Invoke answers at a function's reserved concurrency. */
export class TooManyRequestsError extends Error {
  override readonly name = "TooManyRequestsException";
  readonly statusCode = 429;
  readonly reason = "ReservedFunctionConcurrentInvocationLimitExceeded";
}

export class FunctionHost {
  /** Sandboxes that take invocations (not retired). */
  private readonly live = new Set<FunctionSandbox>();
  /** Every sandbox whose thread may still run, retired ones draining included. */
  private readonly all = new Set<FunctionSandbox>();
  private readonly cap: number;
  private readonly throttles: boolean;
  private started = 0;

  constructor(private readonly options: FunctionHostOptions) {
    this.throttles = options.reservedConcurrency !== undefined;
    this.cap = options.reservedConcurrency ?? options.localSandboxes ?? defaultLocalSandboxes();
  }

  /** Sandboxes started so far (each a cold start). */
  get coldStarts(): number {
    return this.started;
  }

  /** Sandboxes taking invocations now (busy or idle). */
  get size(): number {
    return this.live.size;
  }

  async invoke(event: unknown): Promise<unknown> {
    return this.pick().run(event);
  }

  /**
   * Ends every sandbox at once, as a crash of the function's containers would: their running
   * invocations fail with Runtime.ExitError, and the next invocation starts cold.
   */
  async crash(): Promise<void> {
    await Promise.all([...this.all].map((s) => s.terminate()));
  }

  /** Ends every sandbox (the runtime is stopping). */
  async stop(): Promise<void> {
    await this.crash();
  }

  private pick(): FunctionSandbox {
    let idle: FunctionSandbox | undefined;
    let leastBusy: FunctionSandbox | undefined;
    for (const sandbox of this.live) {
      if (sandbox.load === 0 && (!idle || sandbox.lastUsed > idle.lastUsed)) idle = sandbox;
      if (!leastBusy || sandbox.load < leastBusy.load) leastBusy = sandbox;
    }
    if (idle) return idle;
    if (this.live.size < this.cap) return this.start();
    if (this.throttles || !leastBusy) throw new TooManyRequestsError("Rate Exceeded.");
    return leastBusy;
  }

  private start(): FunctionSandbox {
    const sandbox = new FunctionSandbox(this.options, (retired) => this.live.delete(retired));
    sandbox.onExit(() => this.all.delete(sandbox));
    this.started++;
    this.live.add(sandbox);
    this.all.add(sandbox);
    return sandbox;
  }
}
