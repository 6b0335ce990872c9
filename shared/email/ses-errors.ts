/**
 * What an SES SendEmail failure means for the task:
 * - `permanent`: retrying cannot help (message rejected, unverified sender, invalid parameters,
 *   access denied): fail the task at once and delete the message.
 * - `transient`: SES certainly did not accept the email (throttling, quota, 5xx, or the request
 *   never got out): retry with backoff.
 * - `maybeAccepted`: SES may have accepted it, and SES has no idempotency token: resending could
 *   send it twice, so the task fails with `delivery_unknown` and the email is NOT resent.
 * `throttled` marks the failures the circuit breaker counts.
 *
 * The rule for a call that got no answer (README, "How retries work"): SES may have the email
 * exactly when the WHOLE request was handed to the network and no answer came back — a request
 * timeout, or a connection reset, after the body was sent. A refused or timed-out connection, a
 * TLS handshake that never finished (a hung HTTPS endpoint), or a request cut off before its last
 * byte cannot have been acted on: those are transient. One exception: a reset on a reused
 * keep-alive socket is the server having closed that idle socket before reading the request
 * (Node's documented stale-socket race), not an answer lost after acceptance: transient too.
 */
import type { RequestTrace } from "#shared/aws/request-trace.ts";

export interface SesFailure {
  readonly kind: "permanent" | "transient" | "maybeAccepted";
  readonly throttled: boolean;
  /** SES answered with an HTTP response (so it is reachable); false for no answer at all. */
  readonly answered: boolean;
  /** What the task records and API callers see. */
  readonly code: string;
  readonly message: string;
  /** SES's own error, for the logs only: an AccessDenied names the account id and the role. */
  readonly sesCode: string;
  readonly sesMessage: string;
  /** The deployment is at fault, not the email: log at error level for the operator's alarm. */
  readonly operatorProblem: boolean;
}

/** The task error code of an AccessDenied from SES; also the log line's stable `errorCode`. */
export const SES_ACCESS_DENIED = "ses_access_denied";
/** The task error code when SES may have accepted the email. */
export const DELIVERY_UNKNOWN = "delivery_unknown";

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

const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied"]);

/** Socket errors that, on a reused keep-alive socket, mean the server had closed it already. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

interface SdkLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function classifySesError(error: unknown, request: RequestTrace): SesFailure {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkLikeError;
  const sesCode =
    typeof e.name === "string" && e.name !== "Error"
      ? e.name
      : typeof e.code === "string"
        ? e.code
        : "Unknown";
  const sesMessage = typeof e.message === "string" ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  const answered = status !== undefined;
  const failure = (kind: SesFailure["kind"], extra: Partial<SesFailure> = {}): SesFailure => ({
    kind,
    throttled: false,
    answered,
    code: sesCode,
    message: sesMessage,
    sesCode,
    sesMessage,
    operatorProblem: false,
    ...extra,
  });

  if (THROTTLING.has(sesCode) || status === 429) return failure("transient", { throttled: true });
  if (ACCESS_DENIED.has(sesCode) || status === 403) {
    return failure("permanent", {
      code: SES_ACCESS_DENIED,
      message:
        "SES refused this deployment permission to send the email (access denied). This is a " +
        "configuration problem for the operator, not a problem with the email.",
      operatorProblem: true,
    });
  }
  if (answered) {
    // A 2xx with an error: SES accepted the email and only its answer could not be read.
    if (status >= 200 && status < 300) return maybeAccepted(failure);
    if (PERMANENT.has(sesCode)) return failure("permanent");
    // Any other 4xx SES answered with is about this request and will not change on retry.
    if (status >= 400 && status < 500) return failure("permanent");
    return failure("transient");
  }
  if (PERMANENT.has(sesCode)) return failure("permanent");
  const staleSocket = request.reusedSocket && typeof e.code === "string" && STALE_SOCKET_CODES.has(e.code);
  if (request.fullySent && !staleSocket) return maybeAccepted(failure);
  return failure("transient");
}

function maybeAccepted(failure: (kind: SesFailure["kind"], extra?: Partial<SesFailure>) => SesFailure) {
  return failure("maybeAccepted", {
    code: DELIVERY_UNKNOWN,
    message:
      "SES received the whole request but its answer never arrived; it may have sent the email. " +
      "Not resent, to avoid a duplicate.",
  });
}
