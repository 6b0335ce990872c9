/**
 * Invokes manifest functions by name the way the Lambda service would: each function in
 * sandboxes of its own (function-host.ts: a pool of worker threads with exactly that function's
 * environment, one invocation each at a time), the first started on its first invocation (its
 * cold start), with a fresh context per call and the timeout enforced. Sandboxes start only
 * after `ready`: the environment is final by then.
 */
import type { FunctionNeed } from "#shared/app/manifest.ts";
import { FunctionHost } from "./function-host.ts";
import type { LambdaFunctionSettings, LambdaIdentity, LocalLog } from "./lambda-context.ts";

/** A manifest function as far as loading and invoking it is concerned. */
export interface LocalFunctionSpec extends LambdaFunctionSettings {
  /** Entry file, relative to the repository root (or absolute); it exports `handler`. */
  readonly entry: string;
  /** Its needs (shared/app/needs.ts): their variables are all of the stack's it gets. */
  readonly needs?: readonly FunctionNeed[];
  /** At most this many sandboxes; past it, invocations are throttled (function-host.ts). */
  readonly reservedConcurrency?: number;
}

/** Invokes a manifest function by name and resolves to its (JSON round-tripped) result. */
export type InvokeFunction = (functionName: string, event: unknown) => Promise<unknown>;

export interface FunctionInvoker {
  readonly invoke: InvokeFunction;
  /** Ends every function's sandbox. */
  stop(): Promise<void>;
  /**
   * Ends one function's sandboxes at once, as a crash of its containers would: their running
   * invocations fail with Runtime.ExitError, and the next invocation starts cold (fault tests).
   */
  crash(functionName: string): Promise<void>;
}

export interface FunctionInvokerOptions {
  readonly functions: Readonly<Record<string, LocalFunctionSpec>>;
  readonly rootDir: string;
  readonly identity: LambdaIdentity;
  readonly log: LocalLog;
  /** Each function's whole environment (read once, when its sandbox first starts). */
  readonly environmentOf: (functionName: string) => Readonly<Record<string, string>>;
  /** Resolves when it is safe to start sandboxes (the environment is final). */
  readonly ready?: Promise<void>;
  /** Each function's sandbox cap without a reservedConcurrency (default: function-host.ts). */
  readonly localSandboxes?: number;
}

export function createFunctionInvoker(options: FunctionInvokerOptions): FunctionInvoker {
  const hosts = new Map<string, FunctionHost>();
  const hostOf = (functionName: string, spec: LocalFunctionSpec): FunctionHost => {
    let host = hosts.get(functionName);
    if (!host) {
      host = new FunctionHost({
        functionName,
        entry: spec.entry,
        rootDir: options.rootDir,
        settings: { timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb },
        identity: options.identity,
        env: options.environmentOf(functionName),
        reservedConcurrency: spec.reservedConcurrency,
        localSandboxes: options.localSandboxes,
      });
      hosts.set(functionName, host);
    }
    return host;
  };
  return {
    invoke: async (functionName, event) => {
      const spec = options.functions[functionName];
      if (!spec) throw new Error(`No function named ${functionName} in the manifest`);
      await options.ready;
      try {
        return await hostOf(functionName, spec).invoke(event);
      } catch (error) {
        options.log.error(`[${functionName}] Invoke Error`, error);
        throw error;
      }
    },
    stop: async () => {
      await Promise.all([...hosts.values()].map((h) => h.stop()));
    },
    crash: async (functionName) => {
      await hosts.get(functionName)?.crash();
    },
  };
}
