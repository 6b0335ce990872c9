/**
 * What the Lambda service adds around a handler call, played locally: a realistic `Context`
 * (request id, function name and ARN, memory, log names, remaining time) and the JSON round trip
 * of the result. function-host.ts enforces the timeout and runs each function in its own thread.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/** The part of a manifest function spec the Lambda service cares about. */
export interface LambdaFunctionSettings {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface LambdaIdentity {
  readonly region: string;
  readonly accountId: string;
}

export const LOCAL_ACCOUNT_ID = "000000000000";

export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** One HTTP request as the local gateway served it (API Gateway's access log, locally). */
export interface RequestLine {
  readonly method: string;
  readonly path: string;
  /** The route key matched (`POST /v1/emails`), `$default` for the fallback, absent if none. */
  readonly route?: string | undefined;
  readonly status: number;
  readonly ms: number;
  readonly requestId: string;
}

/** Where the local runtime writes what CloudWatch would hold: invoke errors, poller trouble. */
export interface LocalLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
  /** One line per HTTP request. */
  request?(line: RequestLine): void;
}

/**
 * Request lines for a person on a terminal (`POST /v1/emails 202 12ms createEmail`), JSON when
 * the output is piped or FERRY_LOG_FORMAT=json.
 */
export function formatRequestLine(line: RequestLine, json: boolean): string {
  if (json) return JSON.stringify({ level: "INFO", message: "request", ...line });
  const route = line.route && line.route !== `${line.method} ${line.path}` ? `  (${line.route})` : "";
  return `${line.method} ${line.path} ${line.status} ${line.ms}ms${route}`;
}

const jsonLines = () => process.env.FERRY_LOG_FORMAT === "json" || !process.stdout.isTTY;

export const consoleLog: LocalLog = {
  info: (message) => console.log(message),
  error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
  request: (line) => console.log(formatRequestLine(line, jsonLines())),
};

export const silentLog: LocalLog = { info: () => undefined, error: () => undefined };

/** Raised for an invocation that ran past its function's timeout. */
export class LambdaTimeoutError extends Error {
  override readonly name = "LambdaTimeoutError";
}

/** Raised when a handler's result cannot be returned (Lambda JSON-serialises every result). */
export class LambdaResultError extends Error {
  override readonly name = "LambdaResultError";
}

function logStreamName(now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

export function createLambdaContext(
  functionName: string,
  settings: LambdaFunctionSettings,
  identity: LambdaIdentity,
  startedAt = Date.now(),
): Context {
  const deadline = startedAt + settings.timeoutSeconds * 1000;
  // The deprecated callback-era methods exist on the real context; calling them is a bug in
  // the handler, so they throw instead of silently doing nothing.
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported by the Node.js 22 runtime`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${identity.region}:${identity.accountId}:function:${functionName}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: logStreamName(new Date(startedAt)),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

/**
 * Lambda hands the caller the JSON serialisation of the result: `undefined` becomes null, Dates
 * become strings, and an unserialisable value fails the invocation. Doing the same round trip
 * here keeps the local gateway and poller from seeing values AWS would never deliver.
 */
export function asLambdaPayload(result: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    throw new LambdaResultError(`Unable to stringify response body: ${(error as Error).message}`);
  }
  return json === undefined ? null : (JSON.parse(json) as unknown);
}
