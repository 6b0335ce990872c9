/**
 * The local AWS edge in front of an external endpoint signs each call anew (resign.ts): the
 * endpoint sees the credentials configured for it, not a function's local key, and a signature
 * that verifies for the host and body it received.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsProxy, startAwsProxy } from "#infra/local/aws/aws-proxy.ts";
import { resignedHeaders } from "#infra/local/aws/resign.ts";

const bytes = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === "string"
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** The oracle's own SHA-256/HMAC for the signer (independent of resign.ts's). */
class OracleSha256 {
  private readonly parts: Buffer[] = [];
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {}
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.parts.push(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    const h = this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
    for (const part of this.parts) h.update(part);
    return new Uint8Array(h.digest());
  }
  reset(): void {
    this.parts.length = 0;
  }
}

const EXTERNAL = { accessKeyId: "AKIDEXTERNAL", secretAccessKey: "external-secret" };
const received: { headers: IncomingHttpHeaders; body: Buffer; url: string; method: string }[] = [];
const target = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({
      headers: req.headers,
      body: Buffer.concat(chunks),
      url: req.url ?? "/",
      method: req.method ?? "",
    });
    res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
    res.end(JSON.stringify({ MessageId: "m-1", MD5OfMessageBody: "ba7816bf8f01cfea414140de5dae2223" }));
  });
});
let targetUrl: string;
let edge: AwsProxy;

beforeAll(async () => {
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  edge = await startAwsProxy(targetUrl, { resign: { credentials: EXTERNAL } });
});
afterAll(async () => {
  await edge?.close();
  target.closeAllConnections();
  await new Promise<void>((resolve) => target.close(() => resolve()));
});

describe("the edge in front of an external endpoint", () => {
  it("forwards a function's call signed with the endpoint's credentials, valid for what arrives", async () => {
    const sqs = new SQSClient({
      endpoint: edge.endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "LOCALcreateEmail", secretAccessKey: "local" },
    });
    await sqs
      .send(new SendMessageCommand({ QueueUrl: `${targetUrl}/000000000000/q`, MessageBody: "abc" }))
      .catch(() => undefined);
    sqs.destroy();
    const call = received.at(-1);
    if (!call) throw new Error("nothing reached the endpoint");
    const { authorization, ...rest } = call.headers;
    const amzDate = String(rest["x-amz-date"]);
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    // What the endpoint would compute from the request it received and the secret it knows.
    const expected = await new SignatureV4({
      service: "sqs",
      region: "eu-west-1",
      credentials: EXTERNAL,
      sha256: OracleSha256,
    }).sign(
      {
        method: call.method,
        protocol: "http:",
        hostname: "127.0.0.1",
        path: call.url,
        query: {},
        headers: Object.fromEntries(
          Object.entries(rest).flatMap(([k, v]) =>
            v === undefined || ["connection", "x-amz-date"].includes(k) ? [] : [[k, String(v)]],
          ),
        ),
        body: call.body,
      },
      { signingDate },
    );

    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXTERNAL\/\d{8}\/eu-west-1\/sqs\/aws4_request/,
    );
    expect(authorization).toBe(expected.headers.authorization);
  });

  it("signs for the endpoint behind a latency proxy, whose host that proxy sets", async () => {
    const headers = await resignedHeaders(
      {
        method: "POST",
        url: "/",
        headers: {
          host: "127.0.0.1:1",
          authorization:
            "AWS4-HMAC-SHA256 Credential=LOCALx/20261201/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0",
        },
      },
      Buffer.from("{}"),
      new URL("http://127.0.0.1:2"),
      { credentials: EXTERNAL, endpoint: "http://127.0.0.1:3" },
    );

    expect(headers.host).toBe("127.0.0.1:3");
    expect(String(headers.authorization)).toMatch(/Credential=AKIDEXTERNAL\/\d{8}\/us-east-1\/ses\//);
  });

  it("passes an unsigned request on with only its host changed", async () => {
    const headers = await resignedHeaders(
      { method: "GET", url: "/store", headers: { host: "127.0.0.1:1", accept: "*/*" } },
      Buffer.alloc(0),
      new URL("http://127.0.0.1:2"),
      { credentials: EXTERNAL },
    );

    expect(headers).toEqual({ host: "127.0.0.1:2", accept: "*/*" });
  });
});
