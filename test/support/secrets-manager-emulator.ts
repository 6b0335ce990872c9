/**
 * A minimal AWS Secrets Manager on node:http, speaking its JSON protocol (POST /, header
 * `X-Amz-Target: secretsmanager.<Operation>`, body and answer `application/x-amz-json-1.1`), for
 * the real SDK client: GetSecretValue, PutSecretValue, DescribeSecret and CreateSecret. No npm
 * package emulates Secrets Manager; LocalStack would, but needs Docker. Signatures are not checked.
 * It records which operations were called and every SecretString written (tests assert that a
 * command never wrote what it should not).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { forFile } from "./for-file.ts";
import { closeNow, listenOnLoopback } from "./loopback-server.ts";

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  secretString: string | undefined;
  versionId: string;
}

export interface SecretsManagerEmulator {
  readonly url: string;
  /** Creates a secret with `value` (or no value at all); returns its ARN. */
  create(name: string, value?: string): string;
  /** The current SecretString of a secret, by name or ARN. */
  valueOf(id: string): string | undefined;
  /** Operations received, in order (GetSecretValue, PutSecretValue…). */
  readonly calls: string[];
  close(): Promise<void>;
}

const REGION = "us-east-1";

function reply(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    ...(errorType ? { "x-amzn-errortype": errorType } : {}),
  });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startSecretsManagerEmulator(): Promise<SecretsManagerEmulator> {
  const secrets = new Map<string, StoredSecret>();
  const calls: string[] = [];
  const find = (id: unknown) =>
    typeof id === "string" ? [...secrets.values()].find((s) => s.arn === id || s.name === id) : undefined;
  const notFound = (res: ServerResponse) =>
    reply(
      res,
      400,
      { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." },
      "ResourceNotFoundException",
    );

  const create = (name: string, value?: string): string => {
    const arn = `arn:aws:secretsmanager:${REGION}:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`;
    secrets.set(arn, { arn, name, secretString: value, versionId: randomUUID() });
    return arn;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const operation = String(req.headers["x-amz-target"] ?? "").replace(/^secretsmanager\./, "");
      calls.push(operation);
      const body = await readJson(req);
      const secret = find(body.SecretId);
      switch (operation) {
        case "GetSecretValue":
          if (!secret) return notFound(res);
          if (secret.secretString === undefined) {
            return reply(
              res,
              400,
              {
                __type: "ResourceNotFoundException",
                message:
                  "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
              },
              "ResourceNotFoundException",
            );
          }
          return reply(res, 200, {
            ARN: secret.arn,
            Name: secret.name,
            SecretString: secret.secretString,
            VersionId: secret.versionId,
            VersionStages: ["AWSCURRENT"],
            CreatedDate: Date.now() / 1000,
          });
        case "PutSecretValue":
          if (!secret) return notFound(res);
          secret.secretString = String(body.SecretString ?? "");
          secret.versionId = randomUUID();
          return reply(res, 200, {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: secret.versionId,
            VersionStages: ["AWSCURRENT"],
          });
        case "DescribeSecret":
          if (!secret) return notFound(res);
          return reply(res, 200, { ARN: secret.arn, Name: secret.name });
        case "CreateSecret": {
          const arn = create(
            String(body.Name),
            body.SecretString === undefined ? undefined : String(body.SecretString),
          );
          return reply(res, 200, { ARN: arn, Name: body.Name });
        }
        default:
          return reply(
            res,
            400,
            { __type: "InvalidAction", message: `Unsupported: ${operation}` },
            "InvalidAction",
          );
      }
    })().catch((error: unknown) =>
      reply(res, 500, { __type: "InternalServiceError", message: String(error) }, "InternalServiceError"),
    );
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    create,
    valueOf: (id) => find(id)?.secretString,
    calls,
    close: () => closeNow(server),
  };
}

/**
 * The file's emulator, set before its first test by useSecretsManagerEmulator(): a live binding,
 * read as `sm` in tests (vitest gives each test file its own module instances).
 */
export let sm: SecretsManagerEmulator;

/** Call once at the top of a test file: one emulator for all its tests, closed after the last. */
export function useSecretsManagerEmulator(): void {
  forFile(startSecretsManagerEmulator, (started) => {
    sm = started;
  });
}
