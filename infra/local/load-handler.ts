/**
 * Loads each function's entry module once (its "cold start") and invokes its `handler` the way
 * the Lambda service would: fresh context per call, timeout enforced, invoke errors logged.
 * Modules are imported lazily on first invocation, so the runtime must have set process.env
 * before the first request reaches a handler (handlers read their config once per process).
 */
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  invokeWithLambdaContext,
  type LambdaFunctionSettings,
  type LambdaHandler,
  type LambdaIdentity,
  type LocalLog,
} from "./lambda-context.ts";

/** A manifest function as far as loading and invoking it is concerned. */
export interface LocalFunctionSpec extends LambdaFunctionSettings {
  /** Entry file, relative to the repository root (or absolute); it exports `handler`. */
  readonly entry: string;
}

/** Invokes a manifest function by name and resolves to its (JSON round-tripped) result. */
export type InvokeFunction = (functionName: string, event: unknown) => Promise<unknown>;

/** Lambda's own name for this failure, so the log reads like CloudWatch's. */
export class HandlerNotFoundError extends Error {
  override readonly name = "Runtime.HandlerNotFound";
}

const loaded = new Map<string, Promise<LambdaHandler>>();

/** Imports `entry` (once per process) and returns its exported `handler`. */
export function loadHandler(rootDir: string, entry: string): Promise<LambdaHandler> {
  const file = isAbsolute(entry) ? entry : join(rootDir, entry);
  let handler = loaded.get(file);
  if (!handler) {
    handler = import(pathToFileURL(file).href).then((mod: { handler?: unknown }) => {
      if (typeof mod.handler !== "function")
        throw new HandlerNotFoundError(`${entry} does not export handler`);
      return mod.handler as LambdaHandler;
    });
    // Like a failed Lambda init, a failed import is retried by the next invocation.
    handler.catch(() => loaded.delete(file));
    loaded.set(file, handler);
  }
  return handler;
}

export interface FunctionInvokerOptions {
  readonly functions: Readonly<Record<string, LocalFunctionSpec>>;
  readonly rootDir: string;
  readonly identity: LambdaIdentity;
  readonly log: LocalLog;
  /** Resolves when it is safe to import handlers (process.env is final). */
  readonly ready?: Promise<void>;
}

export function createFunctionInvoker(options: FunctionInvokerOptions): InvokeFunction {
  return async (functionName, event) => {
    const spec = options.functions[functionName];
    if (!spec) throw new Error(`No function named ${functionName} in the manifest`);
    await options.ready;
    try {
      const handler = await loadHandler(options.rootDir, spec.entry);
      return await invokeWithLambdaContext(functionName, spec, options.identity, handler, event);
    } catch (error) {
      options.log.error(`[${functionName}] Invoke Error`, error);
      throw error;
    }
  };
}
