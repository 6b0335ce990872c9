/**
 * Ferry's SigV4 signer (shared/aws/sigv4.ts, used for the secret read) signs exactly as the AWS
 * SDK's own signer does: same canonical request, same signature, for the request Ferry sends, with
 * and without a session token, on a path that needs escaping.
 */
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { signRequest } from "#shared/aws/sigv4.ts";

const toBytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The SDK's Checksum interface on node:crypto (what @smithy/hash-node does). */
class NodeSha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.#hash.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
  reset() {}
}

async function sdkSignature(
  url: URL,
  headers: Record<string, string>,
  body: string,
  creds: object,
  now: Date,
) {
  const signer = new SignatureV4({
    credentials: creds as never,
    region: "eu-west-1",
    service: "secretsmanager",
    sha256: NodeSha256,
    // As the SDK clients sign JSON-protocol calls: no x-amz-content-sha256 header (an S3 one).
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      headers: { ...headers, host: url.host },
      body,
    },
    { signingDate: now },
  );
  return signed.headers.authorization;
}

describe("signRequest", () => {
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "secretsmanager.GetSecretValue",
  };
  const body = JSON.stringify({
    SecretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ferry-AbCdEf",
  });
  const now = new Date("2026-12-01T12:34:56.789Z");
  const cases = [
    { what: "static keys", creds: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG" } },
    {
      what: "a role's session",
      creds: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret/+=", sessionToken: "token//with+chars=" },
    },
  ];
  for (const { what, creds } of cases) {
    for (const url of [
      new URL("https://secretsmanager.eu-west-1.amazonaws.com/"),
      new URL("http://127.0.0.1:4566/a path/with:odd*chars"),
    ]) {
      it(`matches the SDK's signature with ${what} for ${url.href}`, async () => {
        const ours = signRequest({
          url,
          region: "eu-west-1",
          service: "secretsmanager",
          headers,
          body,
          credentials: creds,
          now,
        });
        expect(ours.authorization).toBe(await sdkSignature(url, headers, body, creds, now));
        expect(ours["x-amz-date"]).toBe("20261201T123456Z");
        if ("sessionToken" in creds) expect(ours["x-amz-security-token"]).toBe(creds.sessionToken);
      });
    }
  }
});
