/**
 * X-Ray subsegments for every AWS call (SDK clients wrapped with `traced`, the secret read through
 * `tracedCall`) and every outgoing `fetch`, which is how the Redis client reaches Upstash, so a
 * trace shows each SES, SQS, Secrets Manager, @connections and Upstash call with its latency and
 * errors, and the trace id travels on to SQS (X-Amzn-Trace-Id) as it did with Powertools Tracer.
 *
 * Why not Powertools Tracer: it is built on aws-xray-sdk-core (with semver, cls-hooked and their
 * kin), ~130 KB of every bundle (esbuild metafile, BENCHMARKS.md) and ~100 ms of module init in
 * Lambda, while all Ferry used of it was these subsegments. Lambda with active tracing already
 * writes the function's segment and gives the function its trace context (_X_AMZN_TRACE_ID) and
 * the daemon's address (AWS_XRAY_DAEMON_ADDRESS); a subsegment is one UDP datagram to that daemon
 * (docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html). Off outside Lambda, when
 * POWERTOOLS_TRACE_ENABLED is "false", and for invocations the trace header says are not sampled.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:dgram";
import { subscribe } from "node:diagnostics_channel";

interface TraceContext {
  readonly root: string;
  readonly parent: string;
}

/** The invocation's sampled trace, or undefined when nothing is to be sent. Read per call: Lambda sets it per invocation. */
function traceContext(env: NodeJS.ProcessEnv = process.env): TraceContext | undefined {
  if (!env.AWS_EXECUTION_ENV || env.POWERTOOLS_TRACE_ENABLED === "false") return undefined;
  const fields = Object.fromEntries(
    (env._X_AMZN_TRACE_ID ?? "").split(";").map((part) => part.split("=") as [string, string]),
  );
  if (!fields.Root || !fields.Parent || fields.Sampled !== "1") return undefined;
  return { root: fields.Root, parent: fields.Parent };
}

/** `host:port`, or the `udp:host:port` part of `tcp:… udp:…` (the daemon's two addresses). */
function daemonAddress(env: NodeJS.ProcessEnv = process.env): { host: string; port: number } {
  const raw = env.AWS_XRAY_DAEMON_ADDRESS ?? "127.0.0.1:2000";
  const udp = raw.split(/\s+/).find((part) => part.startsWith("udp:")) ?? raw;
  const [host = "127.0.0.1", port = "2000"] = udp.replace(/^udp:/, "").split(":");
  return { host, port: Number(port) };
}

let socket: Promise<Socket> | undefined;
const HEADER = '{"format":"json","version":1}\n';

/** Fire and forget. node:dgram is loaded by the first traced call, not at module init. */
function send(document: Record<string, unknown>): void {
  socket ??= import("node:dgram").then(({ createSocket }) => {
    const created = createSocket("udp4");
    // Never keeps a container (or a test) alive, and a lost datagram is only a lost subsegment.
    created.unref();
    created.on("error", () => undefined);
    return created;
  });
  const { host, port } = daemonAddress();
  const datagram = HEADER + JSON.stringify(document);
  socket.then((s) => s.send(datagram, port, host)).catch(() => undefined);
}

export interface CallDescription {
  /** The AWS service (`SQS`, `SESv2`…) or the remote host. */
  readonly name: string;
  readonly namespace: "aws" | "remote";
  readonly operation?: string;
  readonly region?: string;
  readonly url?: string;
  readonly method?: string;
}

export interface CallOutcome {
  readonly status?: number;
  readonly requestId?: string;
  readonly error?: unknown;
}

/** An open subsegment: `header` continues the trace downstream; `end` sends it. */
export interface OpenSubsegment {
  readonly header: string;
  end(outcome: CallOutcome): void;
}

/** Starts a subsegment of the invocation's trace, or undefined when the invocation is not traced. */
export function startSubsegment(call: CallDescription): OpenSubsegment | undefined {
  const trace = traceContext();
  if (!trace) return undefined;
  const id = randomBytes(8).toString("hex");
  const startTime = Date.now() / 1000;
  return {
    header: `Root=${trace.root};Parent=${id};Sampled=1`,
    end: ({ status, requestId, error }) => {
      const failed = error !== undefined;
      send({
        id,
        name: call.name,
        trace_id: trace.root,
        parent_id: trace.parent,
        type: "subsegment",
        namespace: call.namespace,
        start_time: startTime,
        end_time: Date.now() / 1000,
        ...(call.namespace === "aws"
          ? { aws: { operation: call.operation, region: call.region, request_id: requestId } }
          : {}),
        http: {
          ...(call.url ? { request: { url: call.url, method: call.method } } : {}),
          ...(status !== undefined ? { response: { status } } : {}),
        },
        ...(status === 429 ? { throttle: true } : {}),
        ...((status !== undefined && status >= 400 && status < 500) || (failed && status === undefined)
          ? { error: true }
          : {}),
        ...(status !== undefined && status >= 500 ? { fault: true } : {}),
        ...(failed
          ? {
              cause: {
                exceptions: [
                  {
                    id: randomBytes(8).toString("hex"),
                    type: (error as Error)?.name,
                    message: (error as Error)?.message,
                  },
                ],
              },
            }
          : {}),
      });
    },
  };
}

/** Runs one call inside a subsegment (for calls made without an SDK client). */
export async function tracedCall<T>(
  call: { readonly service: string; readonly operation: string; readonly region: string },
  run: () => Promise<T>,
): Promise<T> {
  const subsegment = startSubsegment({ ...call, name: call.service, namespace: "aws" });
  try {
    const value = await run();
    subsegment?.end({ status: 200 });
    return value;
  } catch (error) {
    subsegment?.end({ error, status: (error as { httpStatusCode?: number }).httpStatusCode });
    throw error;
  }
}

interface SdkMetadata {
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
}

interface SdkClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { request: unknown }) => Promise<{ output: unknown }>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { request: unknown }) => Promise<{ output: unknown }>,
      options: { step: "build"; name: string },
    ): void;
  };
}

/**
 * The client, its calls traced as subsegments. At the build step: once per call (retries, which
 * come later in the stack, stay inside it), with the request built so the header can be set.
 */
export function traced<T>(client: T): T {
  (client as SdkClient).middlewareStack.add(
    (next, context) => async (args) => {
      const subsegment = startSubsegment({
        name: (context.clientName ?? "AWS").replace(/Client$/, ""),
        namespace: "aws",
        operation: context.commandName?.replace(/Command$/, ""),
        region: process.env.AWS_REGION,
      });
      if (!subsegment) return next(args);
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers["x-amzn-trace-id"] = subsegment.header;
      try {
        const result = await next(args);
        const metadata = (result.output as SdkMetadata).$metadata;
        subsegment.end({ status: metadata?.httpStatusCode, requestId: metadata?.requestId });
        return result;
      } catch (error) {
        const metadata = (error as SdkMetadata).$metadata;
        subsegment.end({ error, status: metadata?.httpStatusCode, requestId: metadata?.requestId });
        throw error;
      }
    },
    { step: "build", name: "ferryXRaySubsegment" },
  );
  return client;
}

interface UndiciRequest {
  readonly origin: string | URL;
  readonly path: string;
  readonly method: string;
  addHeader(name: string, value: string): void;
}

/** Open `fetch` subsegments, by undici request (every channel message carries it). */
const fetches = new WeakMap<object, OpenSubsegment>();

// fetch's undici publishes these in Node 20 and 22; subscribing costs nothing until a request.
subscribe("undici:request:create", (message) => {
  const { request } = message as { request: UndiciRequest };
  if (request.method === "CONNECT") return;
  let url: URL;
  try {
    url = new URL(request.path, request.origin);
  } catch {
    return;
  }
  const subsegment = startSubsegment({
    name: url.hostname,
    namespace: "remote",
    url: `${url.protocol}//${url.hostname}${url.pathname}`,
    method: request.method,
  });
  if (!subsegment) return;
  request.addHeader("X-Amzn-Trace-Id", subsegment.header);
  fetches.set(request, subsegment);
});
subscribe("undici:request:headers", (message) => {
  const { request, response } = message as { request: object; response: { statusCode: number } };
  fetches.get(request)?.end({ status: response.statusCode });
  fetches.delete(request);
});
subscribe("undici:request:error", (message) => {
  const { request, error } = message as { request: object; error: unknown };
  fetches.get(request)?.end({ error });
  fetches.delete(request);
});
