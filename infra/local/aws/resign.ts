/**
 * SigV4 re-signing at the local AWS edge, for external endpoints (FERRY_LOCAL_*_ENDPOINT). Each
 * function's sandbox signs with an access key of its own (local IAM tells them apart by it), which
 * an external endpoint knows nothing of: LocalStack, for one, maps an access key to an account.
 * Once the edge has judged a call, it signs it again, as the same service and region, with the
 * credentials configured for the endpoint (FERRY_LOCAL_AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY) and
 * for its host, so an endpoint that checks signatures sees a valid one.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";

export interface Signing {
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * The endpoint the call finally reaches, whose host the signature covers, when a proxy that
   * sets that host stands between (FERRY_LOCAL_LATENCY_MS); default the edge's own target.
   */
  readonly endpoint?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytesOf = (data: SourceData): Buffer =>
  typeof data === "string"
    ? Buffer.from(data, "utf8")
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** The SHA-256 (and HMAC) the signer asks for, on node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytesOf(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Headers the old signature put there, or hop-by-hop ones: the new signature makes its own. */
const DROPPED = new Set([
  "authorization",
  "x-amz-date",
  "x-amz-security-token",
  "x-amz-content-sha256",
  "connection",
  "keep-alive",
]);

/** `Credential=AKID/20261201/us-east-1/sqs/aws4_request` → region and service. */
function scopeOf(authorization: string | undefined): { region: string; service: string } | undefined {
  const match = /Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\//.exec(authorization ?? "");
  return match?.[1] && match[2] ? { region: match[1], service: match[2] } : undefined;
}

/**
 * The headers to forward with: signed anew for `upstream`, or the original ones (host aside) when
 * the request carried no SigV4 signature to begin with.
 */
export async function resignedHeaders(
  request: { readonly method: string; readonly url: string; readonly headers: IncomingHttpHeaders },
  body: Buffer,
  upstream: URL,
  signing: Signing,
): Promise<OutgoingHttpHeaders> {
  const scope = scopeOf(request.headers.authorization);
  if (!scope) return { ...request.headers, host: upstream.host };
  const signedFor = signing.endpoint ? new URL(signing.endpoint) : upstream;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || DROPPED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  headers.host = signedFor.host;
  const [path = "/", search = ""] = request.url.split("?", 2);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...[seen].flat(), value];
  }
  const signer = new SignatureV4({
    service: scope.service,
    region: scope.region,
    credentials: { ...signing.credentials },
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: signedFor.protocol,
    hostname: signedFor.hostname,
    ...(signedFor.port ? { port: Number(signedFor.port) } : {}),
    path,
    query,
    headers,
    body,
  });
  return signed.headers;
}
