/**
 * FerryClient: the API over fetch, typed from the server's own schemas.
 * - every POST carries an Idempotency-Key (a fresh UUID unless given), the same on each retry, so
 *   retrying a send is always safe;
 * - 429 and 503 are retried after the server's Retry-After (or RateLimit `t`), at most
 *   `maxRetries` times and never waiting more than `maxRetryDelayMs` at once;
 * - any other failure is a typed error per status (errors.ts) carrying the problem details.
 */
import { randomUUID } from "node:crypto";
import { errorFor } from "./errors.ts";
import { defaultWebSocket, type WatchOptions, type WebSocketFactory, watchTask } from "./realtime.ts";
import { retryAfterSeconds, retryDelayMs, sleep } from "./retry.ts";
import type {
  EmailAccepted,
  EmailRequest,
  Health,
  Payment,
  PaymentList,
  PaymentListQuery,
  PaymentProvider,
  RealtimeTicket,
  Task,
  TaskList,
  TaskListQuery,
} from "./types.ts";

export interface FerryClientOptions {
  /** e.g. `http://127.0.0.1:3000` or the stack's API URL. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** Retries of a 429 or 503; default 2. */
  readonly maxRetries?: number;
  /** The longest single wait before a retry; default 30 s. */
  readonly maxRetryDelayMs?: number;
  readonly fetch?: typeof fetch;
  readonly webSocket?: WebSocketFactory;
}

export interface RequestOptions {
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

type Query = Readonly<Record<string, string | number | undefined>>;

export class FerryClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: FerryClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetch = options.fetch ?? fetch;
  }

  /** Queues an email; the answer's `taskId` can be read, listed and watched. */
  sendEmail(email: EmailRequest, options: RequestOptions = {}): Promise<EmailAccepted> {
    return this.request("POST", "/v1/emails", { body: email, ...options });
  }

  getTask(taskId: string, options: RequestOptions = {}): Promise<Task> {
    return this.request("GET", `/v1/tasks/${encodeURIComponent(taskId)}`, options);
  }

  listTasks(query: TaskListQuery = {}, options: RequestOptions = {}): Promise<TaskList> {
    return this.request("GET", "/v1/tasks", { query, ...options });
  }

  /** Every task across pages, newest first. */
  async *allTasks(query: Omit<TaskListQuery, "cursor"> = {}): AsyncGenerator<Task> {
    let cursor: string | undefined;
    do {
      const page = await this.listTasks({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  getPayment(provider: PaymentProvider, paymentId: string, options: RequestOptions = {}): Promise<Payment> {
    return this.request("GET", `/v1/payments/${provider}/${encodeURIComponent(paymentId)}`, options);
  }

  /** The payment's receipt or refund-notice email task. */
  getPaymentEmail(
    provider: PaymentProvider,
    paymentId: string,
    kind: "receipt" | "refund-notice",
    options: RequestOptions = {},
  ): Promise<Task> {
    return this.request(
      "GET",
      `/v1/payments/${provider}/${encodeURIComponent(paymentId)}/emails/${kind}`,
      options,
    );
  }

  listPayments(query: PaymentListQuery = {}, options: RequestOptions = {}): Promise<PaymentList> {
    return this.request("GET", "/v1/payments", { query, ...options });
  }

  createRealtimeTicket(options: RequestOptions = {}): Promise<RealtimeTicket> {
    return this.request("POST", "/v1/realtime/tickets", options);
  }

  health(options: RequestOptions = {}): Promise<Health> {
    return this.request("GET", "/health", options);
  }

  /** Each new state of the task until it is final; see realtime.ts. */
  watchTask(taskId: string, options: WatchOptions = {}): AsyncGenerator<Task> {
    return watchTask(
      {
        ticketUrl: async () =>
          (await this.createRealtimeTicket(options.signal ? { signal: options.signal } : {})).url,
        webSocket: this.options.webSocket ?? defaultWebSocket,
      },
      taskId,
      options,
    );
  }

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    options: RequestOptions & { body?: unknown; query?: Query } = {},
  ): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (method === "POST") headers["idempotency-key"] = options.idempotencyKey ?? randomUUID();
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const maxRetries = this.options.maxRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text for the error
      }
      if (res.ok) return body as T;
      if ((res.status === 429 || res.status === 503) && attempt < maxRetries) {
        await sleep(
          retryDelayMs(res.headers, attempt, this.options.maxRetryDelayMs ?? 30_000),
          options.signal,
        );
        continue;
      }
      throw errorFor(
        res.status,
        body,
        res.headers.get("x-request-id") ?? undefined,
        retryAfterSeconds(res.headers),
      );
    }
  }
}
