/**
 * Runs inside one function's worker thread: the thread's own process.env (exactly its function's
 * environment) and its own module instances, as a Lambda container has. It loads the entry
 * module once (its cold start) and runs one invocation per message from function-host.ts.
 */
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import {
  asLambdaPayload,
  createLambdaContext,
  type LambdaFunctionSettings,
  type LambdaHandler,
  type LambdaIdentity,
} from "./lambda-context.ts";

export interface FunctionWorkerData {
  readonly functionName: string;
  readonly entry: string;
  readonly rootDir: string;
  readonly settings: LambdaFunctionSettings;
  readonly identity: LambdaIdentity;
}

export interface InvokeMessage {
  readonly id: number;
  readonly event: unknown;
}

export type InvokeReply =
  /** The init (entry import) is over and the handler runs: the function's timeout starts now. */
  | { readonly id: number; readonly started: true }
  | { readonly id: number; readonly ok: true; readonly payload: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
}

const data = workerData as FunctionWorkerData;
const port = parentPort;
if (!port) throw new Error("function-worker.ts runs only as a worker thread");

let handler: Promise<LambdaHandler> | undefined;

function loadHandler(): Promise<LambdaHandler> {
  const file = isAbsolute(data.entry) ? data.entry : join(data.rootDir, data.entry);
  handler ??= import(pathToFileURL(file).href).then((mod: { handler?: unknown }) => {
    if (typeof mod.handler !== "function") {
      throw Object.assign(new Error(`${data.entry} does not export handler`), {
        name: "Runtime.HandlerNotFound",
      });
    }
    return mod.handler as LambdaHandler;
  });
  // The host ends a sandbox whose init failed (function-sandbox.ts); this is only a safeguard.
  handler.catch(() => {
    handler = undefined;
  });
  return handler;
}

const serialize = (error: unknown): SerializedError =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: "Error", message: String(error) };

port.on("message", async (message: InvokeMessage) => {
  try {
    const fn = await loadHandler();
    const startedAt = Date.now();
    port.postMessage({ id: message.id, started: true } satisfies InvokeReply);
    const context = createLambdaContext(data.functionName, data.settings, data.identity, startedAt);
    const payload = asLambdaPayload(await fn(message.event, context));
    port.postMessage({ id: message.id, ok: true, payload } satisfies InvokeReply);
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: serialize(error) } satisfies InvokeReply);
  }
});
