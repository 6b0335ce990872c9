/**
 * Typed errors, one class per status the API documents, each carrying the RFC 9457 problem
 * (`type`, `title`, `detail`, `errors`) and the request id to quote.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

export class FerryError extends Error {
  override name = "FerryError";
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly requestId: string | undefined,
    /** Seconds the server asked to wait (429, 503), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ""}`);
  }
}

export class BadRequestError extends FerryError {
  override name = "BadRequestError";
}
export class UnauthorizedError extends FerryError {
  override name = "UnauthorizedError";
}
export class ForbiddenError extends FerryError {
  override name = "ForbiddenError";
}
export class NotFoundError extends FerryError {
  override name = "NotFoundError";
}
export class ConflictError extends FerryError {
  override name = "ConflictError";
}
export class PayloadTooLargeError extends FerryError {
  override name = "PayloadTooLargeError";
}
export class UnsupportedMediaTypeError extends FerryError {
  override name = "UnsupportedMediaTypeError";
}
export class UnprocessableError extends FerryError {
  override name = "UnprocessableError";
}
export class RateLimitedError extends FerryError {
  override name = "RateLimitedError";
}
export class ServerError extends FerryError {
  override name = "ServerError";
}
export class ServiceUnavailableError extends FerryError {
  override name = "ServiceUnavailableError";
}

const BY_STATUS: Readonly<Record<number, typeof FerryError>> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  422: UnprocessableError,
  429: RateLimitedError,
  500: ServerError,
  503: ServiceUnavailableError,
};

export function errorFor(
  status: number,
  body: unknown,
  requestId: string | undefined,
  retryAfterSeconds: number | undefined,
): FerryError {
  const problem: Problem =
    typeof body === "object" && body !== null && "title" in body
      ? (body as Problem)
      : {
          type: "about:blank",
          title: `HTTP ${status}`,
          status,
          detail: typeof body === "string" ? body : undefined,
        };
  const Class = BY_STATUS[status] ?? (status >= 500 ? ServerError : FerryError);
  return new Class(status, problem, requestId, retryAfterSeconds);
}

/** The WebSocket said no: the ticket was refused, or the server reported an error for the task. */
export class RealtimeError extends Error {
  override name = "RealtimeError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
