/**
 * The local AWS edge: an HTTP proxy between the functions' SDK clients and an emulator, standing
 * where AWS's own front door stands. Every request is parsed into an AwsCall (service, action,
 * caller's access key, input) and passed through a chain of inspectors before it is forwarded:
 * IAM (local-iam.ts), the fault switches of /local/faults (fault-switches.ts), and faults and
 * observers that tests register. An inspector can let it through, answer in AWS's error shape,
 * let it through and then lose the answer (the caller sees a dropped connection although the
 * service acted: the ambiguous failure), or hold it unanswered (a service that hangs).
 *
 * Written here because no emulator has such hooks: fauxqs and aws-ses-v2-local check no IAM and
 * inject no faults (aws-fidelity.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resignedHeaders, type Signing } from "./resign.ts";
import { upstreamRequest } from "./upstream-request.ts";

/** One AWS API call as the service sees it. */
export interface AwsCall {
  /** `sqs`, `ses`, `execute-api`, `secretsmanager`: from the request's SigV4 credential scope. */
  readonly service: string;
  /** The API action: `SendMessage`, `SendEmail`, … (`Unknown` when it cannot be told). */
  readonly action: string;
  /** The access key the call was signed with: local-iam.ts tells functions apart by it. */
  readonly accessKeyId: string;
  /** The SDK's id of the logical call: the same on every retry of it. */
  readonly invocationId: string;
  /** The JSON input (JSON protocols) or the parsed JSON body (REST protocols); {} otherwise. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly method: string;
  readonly path: string;
}

/** What the edge does with a call. */
export type Verdict =
  | { readonly kind: "forward" }
  /** Answer with an AWS error instead of forwarding. */
  | { readonly kind: "error"; readonly status: number; readonly code: string; readonly message: string }
  /** Forward, then drop the connection instead of answering. */
  | { readonly kind: "loseAnswer" }
  /**
   * Neither forward nor answer: hold the connection open and silent until `until` settles, then
   * drop it (a service that never answers; the caller's own timeout is what ends the call).
   */
  | { readonly kind: "hold"; readonly until: Promise<void> };

export type Inspector = (call: AwsCall) => Verdict | undefined | Promise<Verdict | undefined>;

/** What the service answered a forwarded call (the body whole). */
export interface AwsAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** True when the edge dropped the answer on purpose (`loseAnswer`): the service still acted. */
  readonly lost: boolean;
}

/**
 * Sees a call after the service answered it, as AWS's own machinery behind an API does (SES
 * publishing a sent email's events, say). Observers never change the answer; one that throws is
 * ignored.
 */
export type Observer = (call: AwsCall, answer: AwsAnswer) => void;

export interface AwsProxy {
  readonly endpoint: string;
  /** Adds an inspector; the first one with a verdict decides. Returns its removal. */
  use(inspector: Inspector): () => void;
  /** Adds an observer of answered calls. Returns its removal. */
  observe(observer: Observer): () => void;
  close(): Promise<void>;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/sqs/aws4_request, …` → key and service. */
export function credentialOf(authorization: string | undefined): { accessKeyId: string; service: string } {
  const match = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization ?? "");
  return { accessKeyId: match?.[1] ?? "", service: match?.[2] ?? "" };
}

/** The action of a JSON-protocol call (`X-Amz-Target: AmazonSQS.SendMessage`) or a REST one. */
function actionOf(req: IncomingMessage, service: string): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return target.slice(target.lastIndexOf(".") + 1);
  const path = (req.url ?? "").split("?")[0] ?? "";
  if (service === "ses" && req.method === "POST" && path === "/v2/email/outbound-emails") return "SendEmail";
  if (service === "execute-api" && path.includes("/@connections/")) {
    return req.method === "POST"
      ? "PostToConnection"
      : req.method === "DELETE"
        ? "DeleteConnection"
        : "GetConnection";
  }
  return "Unknown";
}

function parseInput(body: Buffer): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  try {
    const value = JSON.parse(body.toString("utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** AWS's JSON-protocol error shape, which every SDK v3 client of these services parses. */
function sendError(res: ServerResponse, verdict: Extract<Verdict, { kind: "error" }>): void {
  res.writeHead(verdict.status, {
    "content-type": "application/x-amz-json-1.0",
    "x-amzn-errortype": verdict.code,
    "x-amzn-query-error": `${verdict.code};Sender`,
    "x-amzn-requestid": crypto.randomUUID(),
  });
  res.end(JSON.stringify({ __type: verdict.code, message: verdict.message, Message: verdict.message }));
}

export interface AwsProxyOptions {
  /**
   * Sign each forwarded call anew with these credentials (an external endpoint, resign.ts); by
   * default a call goes on with the signature its caller made.
   */
  readonly resign?: Signing;
}

export async function startAwsProxy(target: string, options: AwsProxyOptions = {}): Promise<AwsProxy> {
  const targetUrl = new URL(target);
  const inspectors: Inspector[] = [];
  const observers: Observer[] = [];
  const notify = (call: AwsCall, answer: AwsAnswer) => {
    for (const observer of [...observers]) {
      try {
        observer(call, answer);
      } catch {
        // An observer's failure is its own; the caller's answer is already on its way.
      }
    }
  };

  const decide = async (call: AwsCall): Promise<Verdict> => {
    for (const inspector of [...inspectors]) {
      const verdict = await inspector(call);
      if (verdict) return verdict;
    }
    return { kind: "forward" };
  };

  const forward = async (
    call: AwsCall,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    loseAnswer: boolean,
  ) => {
    const headers = options.resign
      ? await resignedHeaders(
          { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers },
          body,
          targetUrl,
          options.resign,
        )
      : undefined;
    const upstream = upstreamRequest(
      req,
      targetUrl,
      (answer) => {
        if (observers.length > 0) {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () =>
            notify(call, { status: answer.statusCode ?? 0, body: Buffer.concat(chunks), lost: loseAnswer }),
          );
        }
        if (loseAnswer) {
          answer.resume();
          answer.on("end", () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
      undefined,
      headers,
    );
    upstream.on("error", () => res.socket?.destroy());
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const { accessKeyId, service } = credentialOf(req.headers.authorization);
      const call: AwsCall = {
        service,
        action: actionOf(req, service),
        accessKeyId,
        invocationId: String(req.headers["amz-sdk-invocation-id"] ?? crypto.randomUUID()),
        input: parseInput(body),
        method: req.method ?? "GET",
        path: req.url ?? "/",
      };
      decide(call)
        .then((verdict) => {
          if (verdict.kind === "error") sendError(res, verdict);
          else if (verdict.kind === "hold") void verdict.until.finally(() => res.socket?.destroy());
          // Returned, so a failed re-signing (external endpoints) answers the edge failure below.
          else return forward(call, req, body, res, verdict.kind === "loseAnswer");
        })
        .catch(() =>
          sendError(res, { kind: "error", status: 500, code: "InternalFailure", message: "edge failure" }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    use: (inspector) => {
      inspectors.push(inspector);
      return () => {
        const at = inspectors.indexOf(inspector);
        if (at >= 0) inspectors.splice(at, 1);
      };
    },
    observe: (observer) => {
      observers.push(observer);
      return () => {
        const at = observers.indexOf(observer);
        if (at >= 0) observers.splice(at, 1);
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
