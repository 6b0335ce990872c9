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

export async function startSesEmulator(options: SesEmulatorOptions = {}): Promise<SesEmulator> {
  const host = options.host ?? "127.0.0.1";
  const server = await resolveStartServer()({ host, port: options.port ?? 0 });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${port}`;

  return {
    endpoint,
    async outbox() {
      const res = await fetch(`${endpoint}/store`);
      if (!res.ok) throw new Error(`aws-ses-v2-local /store answered ${res.status}`);
      const store = (await res.json()) as { emails: StoredEmail[] };
      return store.emails.map(toOutboxEmail);
    },
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
