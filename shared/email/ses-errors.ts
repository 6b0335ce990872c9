/**
 * What an SES SendEmail failure means for the task:
 * - `permanent`: retrying cannot help (message rejected, unverified sender, invalid parameters):
 *   fail the task at once and delete the message.
 * - `transient`: throttling, quota, 5xx, network and timeouts: retry with backoff.
 * `throttled` marks the failures the circuit breaker counts.
 */
export interface SesFailure {
  readonly kind: "permanent" | "transient";
  readonly throttled: boolean;
  /** SES answered with an error (so it is reachable); false for network errors and timeouts. */
  readonly answered: boolean;
  readonly code: string;
  readonly message: string;
}

const PERMANENT = new Set([
  "MessageRejected",
  "MailFromDomainNotVerifiedException",
  "BadRequestException",
  "NotFoundException",
  "AccountSuspendedException",
  "InvalidParameterValue",
]);

const THROTTLING = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "LimitExceededException",
  "SlowDown",
]);

interface SdkLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function classifySesError(error: unknown): SesFailure {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkLikeError;
  const code =
    typeof e.name === "string" && e.name !== "Error"
      ? e.name
      : typeof e.code === "string"
        ? e.code
        : "Unknown";
  const message = typeof e.message === "string" ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  const answered = status !== undefined;
  if (THROTTLING.has(code) || status === 429)
    return { kind: "transient", throttled: true, answered, code, message };
  if (PERMANENT.has(code)) return { kind: "permanent", throttled: false, answered, code, message };
  // Any other 4xx SES answered with is about this request and will not change on retry.
  if (status !== undefined && status >= 400 && status < 500) {
    return { kind: "permanent", throttled: false, answered, code, message };
  }
  return { kind: "transient", throttled: false, answered, code, message };
}
