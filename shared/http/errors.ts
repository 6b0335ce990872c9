/**
 * Typed HTTP errors. Every client error is one of these and becomes an RFC 9457
 * application/problem+json response in one place (shared/http/response.ts, with shared/http/error-table.ts). Anything else is
 * a 500 whose body never carries internals.
 */

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `to.2`. */
  readonly path: string;
  readonly message: string;
}

export interface ProblemInit {
  /** Short slug under https://ferry.dev/problems/ (the `type` member). */
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  /** Extra response headers (Retry-After, rate-limit headers, Allow...). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const PROBLEM_BASE = "https://ferry.dev/problems/";

export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, init: ProblemInit) {
    super(init.detail ?? init.title);
    this.status = status;
    this.type = PROBLEM_BASE + init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
  }
}

export const badRequest = (detail: string, errors?: readonly FieldError[]) =>
  new HttpError(400, { type: "bad-request", title: "Bad request", detail, ...(errors ? { errors } : {}) });

export const validationFailed = (errors: readonly FieldError[]) =>
  new HttpError(400, {
    type: "validation-failed",
    title: "Request validation failed",
    detail: "One or more fields are invalid.",
    errors,
  });

export const unauthorized = (detail: string) =>
  new HttpError(401, {
    type: "unauthorized",
    title: "Unauthorized",
    detail,
    headers: { "www-authenticate": 'Bearer realm="ferry"' },
  });

export const forbidden = (detail: string) =>
  new HttpError(403, { type: "forbidden", title: "Forbidden", detail });

export const notFound = (detail: string) =>
  new HttpError(404, { type: "not-found", title: "Not found", detail });

export const conflict = (type: string, detail: string) =>
  new HttpError(409, { type, title: "Conflict", detail });

export const payloadTooLarge = (limitBytes: number) =>
  new HttpError(413, {
    type: "payload-too-large",
    title: "Payload too large",
    detail: `The request body exceeds ${limitBytes} bytes.`,
  });

export const unsupportedMediaType = (detail: string) =>
  new HttpError(415, { type: "unsupported-media-type", title: "Unsupported media type", detail });

export const unprocessable = (type: string, detail: string) =>
  new HttpError(422, { type, title: "Unprocessable content", detail });

export const serviceUnavailable = (detail: string, retryAfterSeconds?: number) =>
  new HttpError(503, {
    type: "service-unavailable",
    title: "Service unavailable",
    detail,
    ...(retryAfterSeconds ? { headers: { "retry-after": String(retryAfterSeconds) } } : {}),
  });

/** The deployment's configuration (usually its secret) is incomplete: the operator must act. */
export const configurationIncomplete = () =>
  new HttpError(503, {
    type: "configuration-incomplete",
    title: "Configuration incomplete",
    detail: "This deployment is not fully configured yet; its operators have been alerted. Retry later.",
    headers: { "retry-after": "60" },
  });
