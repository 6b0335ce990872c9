/**
 * The Upstash Redis REST protocol, the part of it Ferry speaks. Ferry's own rather than
 * @upstash/redis: that client is one 93 KB chunk holding a class for every Redis command, in every
 * function's bundle and module init (budgets: 350 KB, 150 KB for functions whose only AWS call is
 * their secret read, init ≤ 50 ms), while Ferry sends about fifteen commands. This is a few KB.
 *
 * What it implements (as @upstash/redis 1.39 does, so the wire format is the one Ferry has
 * always run against Upstash and the local proxy, infra/local/upstash/upstash-proxy.ts):
 * - POST `<url>/pipeline` (a list of commands) or `<url>/multi-exec` (the same in MULTI/EXEC),
 *   `Authorization: Bearer <token>`, JSON body; answered `[{result}|{error}, ...]` in order, or a
 *   non-2xx `{error}` for the whole request (401 token, 400 EXECABORT, 5xx the service).
 * - `Upstash-Encoding: base64`: every string in a result is base64 of Redis's bytes (so any value
 *   survives JSON), except a raw status "OK", which base64 can never produce (not a multiple of
 *   4 characters). Numbers and nil come as JSON numbers and null.
 * - Read-your-writes: the `upstash-sync-token` of the last answer goes with the next request, so
 *   a read served by a replica has seen this client's writes.
 * - Auto-pipelining: single commands issued in the same tick (two microtasks, as @upstash/redis
 *   waits) travel as one /pipeline request; each command's error rejects only that command.
 * Not implemented: the path-style GET API, SSE subscriptions, any other command; and, on
 * purpose, retries. A request is sent once: a script or write that reached Redis before the
 * connection dropped must never be replayed (a rate-limit script would consume twice, a
 * compare-and-set could apply twice). Callers decide what a failure means.
 *
 * Errors: Redis's or Upstash's refusals are UpstashError (the server's text, no echo of the
 * command, which may hold customer data); fetch's own errors pass through as fetch throws them
 * (TypeError "fetch failed" for a refused or dropped connection, the signal's TimeoutError or
 * AbortError), which is how shared/http/error-table.ts and the rate limiter classify them.
 * Global fetch, so shared/aws/tracer.ts sees every call through undici's diagnostics channel.
 */

export type Arg = string | number;
export type Command = readonly Arg[];

/** Redis or Upstash answered, and refused. */
export class UpstashError extends Error {
  override readonly name = "UpstashError";
  constructor(
    message: string,
    /** HTTP status of the answer: 200 when one command of a pipeline failed (Redis refused it). */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface UpstashRestOptions {
  readonly url: string;
  readonly token: string;
  /** A fresh signal per HTTP request: the time budget applies to each request. */
  readonly signal: () => AbortSignal;
  /** For instrumentation (benchmarks count requests); defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

interface Outcome {
  readonly result?: unknown;
  readonly error?: string;
}

interface Queued {
  readonly command: Command;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** @upstash/redis's cap on one auto-pipeline. */
const MAX_BATCH = 1000;

/** Base64 strings back to text, at any depth; numbers and null as they are. */
export function decodeResult(value: unknown): unknown {
  if (typeof value === "string")
    return value === "OK" ? value : Buffer.from(value, "base64").toString("utf8");
  return Array.isArray(value) ? value.map(decodeResult) : value;
}

const errorText = (body: unknown): string | undefined =>
  typeof body === "object" && body !== null && typeof (body as Outcome).error === "string"
    ? (body as Outcome).error
    : undefined;

export class UpstashRest {
  readonly #url: string;
  readonly #token: string;
  readonly #signal: () => AbortSignal;
  readonly #fetch: typeof fetch | undefined;
  #syncToken = "";
  #queue: Queued[] = [];

  constructor(options: UpstashRestOptions) {
    if (!/^https?:\/\/\S+$/.test(options.url)) {
      throw new Error("The Upstash REST URL must start with https:// (or http:// locally)");
    }
    this.#url = options.url.replace(/\/$/, "");
    this.#token = options.token;
    this.#signal = options.signal;
    this.#fetch = options.fetch;
  }

  /** One HTTP request carrying `commands`; one outcome per command, in order. */
  async request(
    path: "/pipeline" | "/multi-exec",
    commands: readonly Command[],
  ): Promise<readonly Outcome[]> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      "content-type": "application/json",
      "upstash-encoding": "base64",
    };
    if (this.#syncToken) headers["upstash-sync-token"] = this.#syncToken;
    const res = await (this.#fetch ?? fetch)(this.#url + path, {
      method: "POST",
      headers,
      body: JSON.stringify(commands),
      signal: this.#signal(),
    });
    const text = await res.text();
    // An answer without one (an error page, a proxy's 5xx) keeps the last token: clearing it would
    // send the next read without read-your-writes.
    const token = res.headers.get("upstash-sync-token");
    if (token) this.#syncToken = token;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UpstashError(
        `Upstash answered HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`,
        res.status,
      );
    }
    if (!res.ok) throw new UpstashError(errorText(body) ?? `Upstash answered HTTP ${res.status}`, res.status);
    if (!Array.isArray(body) || body.length !== commands.length) {
      throw new UpstashError(
        `Upstash answered ${path} with something other than one outcome per command`,
        res.status,
      );
    }
    return body as Outcome[];
  }

  /** One command, batched with the others issued in the same tick. Resolves to its decoded result. */
  send(command: Command): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) queueMicrotask(() => queueMicrotask(() => this.#flush()));
      this.#queue.push({ command, resolve, reject });
      if (this.#queue.length >= MAX_BATCH) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.request(
      "/pipeline",
      batch.map((q) => q.command),
    ).then(
      (outcomes) =>
        batch.forEach((q, i) => {
          const outcome = outcomes[i];
          if (typeof outcome?.error === "string") q.reject(new UpstashError(outcome.error, 200));
          else q.resolve(decodeResult(outcome?.result));
        }),
      (error: unknown) => {
        for (const q of batch) q.reject(error);
      },
    );
  }
}
