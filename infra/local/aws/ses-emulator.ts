/**
 * SES for the local runtime and tests: aws-ses-v2-local in-process. It serves the SESv2 API that
 * `@aws-sdk/client-sesv2` SendEmail uses, and keeps what it receives in a store read back here
 * through its own `GET /store` (the shape behind the runtime's `GET /local/outbox`).
 *
 * The store is a module-level singleton of aws-ses-v2-local: every emulator started in one
 * process shares it, so `outbox()` and `clear()` see and empty the emails of all of them.
 * Send through SESv2 only: its v1 SendEmail keeps just the first address of each recipient list.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as sesLocalModule from "aws-ses-v2-local";

/** One received email, as `GET /local/outbox` shows it. */
export interface OutboxEmail {
  readonly messageId: string;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  /** ISO 8601; the emulator records whole seconds. */
  readonly at: string;
}

export interface SesEmulatorOptions {
  /** Defaults to 127.0.0.1 (the package itself defaults to every interface). */
  readonly host?: string;
  /** Defaults to 0 (a random free port). */
  readonly port?: number;
}

export interface SesEmulator {
  /** Pass as `endpoint` to SESv2Client. */
  readonly endpoint: string;
  outbox(): Promise<OutboxEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/** The part of aws-ses-v2-local's `/store` answer the outbox needs. */
interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  /** Epoch seconds. */
  at: number;
}

type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

/**
 * The package is CommonJS with `exports.default`: loaded from ESM its default export is either the
 * function (bundlers, vitest) or the whole `exports` object (Node), depending on the loader.
 */
function resolveStartServer(): StartServer {
  const candidate: unknown = (sesLocalModule as { default?: unknown }).default;
  if (typeof candidate === "function") return candidate as StartServer;
  const nested = (candidate as { default?: unknown } | undefined)?.default;
  if (typeof nested === "function") return nested as StartServer;
  throw new Error("aws-ses-v2-local: no server factory found in the module");
}

function toOutboxEmail(email: StoredEmail): OutboxEmail {
  return {
    messageId: email.messageId,
    from: email.from,
    to: [...email.destination.to],
    subject: email.subject,
    ...(email.body.text === undefined ? {} : { text: email.body.text }),
    ...(email.body.html === undefined ? {} : { html: email.body.html }),
    at: new Date(email.at * 1000).toISOString(),
  };
}

/** LocalStack's `GET /_aws/ses` message, the fields the outbox needs. */
interface LocalStackMessage {
  Id: string;
  Source: string;
  Destination?: { ToAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
  Timestamp: string;
}

function fromLocalStack(message: LocalStackMessage): OutboxEmail {
  const { text_part: text, html_part: html } = message.Body ?? {};
  return {
    messageId: message.Id,
    from: message.Source,
    to: [...(message.Destination?.ToAddresses ?? [])],
    subject: message.Subject ?? "",
    ...(text ? { text } : {}),
    ...(html ? { html } : {}),
    at: new Date(message.Timestamp).toISOString(),
  };
}

/**
 * The emails an SES emulator at `endpoint` received: aws-ses-v2-local's `GET /store`, else
 * LocalStack's `GET /_aws/ses` (an external SES, FERRY_LOCAL_SES_ENDPOINT, may be either).
 */
export async function readOutbox(endpoint: string): Promise<OutboxEmail[]> {
  const res = await fetch(`${endpoint}/store`);
  if (res.ok) return ((await res.json()) as { emails: StoredEmail[] }).emails.map(toOutboxEmail);
  await res.body?.cancel();
  const localStack = await fetch(`${endpoint}/_aws/ses`);
  if (localStack.ok) {
    return ((await localStack.json()) as { messages: LocalStackMessage[] }).messages.map(fromLocalStack);
  }
  await localStack.body?.cancel();
  throw new Error(
    `the SES endpoint ${endpoint} has no readable store (aws-ses-v2-local /store answered ${res.status}, ` +
      `LocalStack /_aws/ses ${localStack.status})`,
  );
}

export async function startSesEmulator(options: SesEmulatorOptions = {}): Promise<SesEmulator> {
  const host = options.host ?? "127.0.0.1";
  const server = await resolveStartServer()({ host, port: options.port ?? 0 });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${port}`;

  return {
    endpoint,
    outbox: () => readOutbox(endpoint),
    async clear() {
      const res = await fetch(`${endpoint}/clear-store`, { method: "POST" });
      if (!res.ok) throw new Error(`aws-ses-v2-local /clear-store answered ${res.status}`);
    },
    async stop() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      await closed;
    },
  };
}
