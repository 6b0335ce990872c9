/**
 * The one place errors become HTTP answers. Domain code throws plain errors (a message too large
 * to queue, a queue that did not confirm, a dependency that did not answer); this table says what
 * each means to a caller. responseFinalizer (response.ts) applies it to whatever a handler or
 * middleware threw; an HttpError passes as it is, and anything the table does not know is a
 * generic 500 that never echoes internals (problem-response.ts).
 */
import { ConfigError } from "#shared/config.ts";
import { RecipientsSuppressedError } from "#shared/delivery/screen.ts";
import { EnqueueFailedError, MessageTooLargeError } from "#shared/email/enqueue.ts";
import { PaymentEnqueueFailedError } from "#shared/payments/enqueue-event.ts";
import { configurationIncomplete, HttpError, serviceUnavailable } from "./errors.ts";

interface ErrorMapping {
  readonly matches: (error: Error) => boolean;
  readonly toHttp: (error: Error) => HttpError;
}

/**
 * Errors that mean "a dependency did not answer in time or at all": the Redis client's own
 * errors (UpstashError: Redis or Upstash refused, whatever the HTTP status, so every one counts),
 * its per-call timeout, and network failures. undici (fetch) reports refused or reset connections
 * as TypeError("fetch failed", {cause}).
 */
const DEPENDENCY_ERROR_NAMES = new Set(["UpstashError", "TimeoutError", "AbortError"]);
const isDependencyFailure = (error: Error): boolean =>
  DEPENDENCY_ERROR_NAMES.has(error.name) || (error instanceof TypeError && error.message === "fetch failed");

function recipientsSuppressed(error: RecipientsSuppressedError): HttpError {
  const names = error.suppressed.map((s) => `${s.entry.address} (${s.entry.reason})`).join(", ");
  return new HttpError(422, {
    type: "recipient-suppressed",
    title: "Recipient suppressed",
    detail: error.allSuppressed
      ? `Nothing to send: every recipient is on the suppression list: ${names}.`
      : `Not sent: on the suppression list: ${names}. Remove them, or send with "suppressed": "skip" to send to the others.`,
    errors: error.suppressed.map((s) => ({
      path: `to.${s.index}`,
      message: `${s.entry.address} is suppressed since ${s.entry.at}: ${s.entry.reason}${s.entry.detail ? ` (${s.entry.detail})` : ""}`,
    })),
  });
}

const ERROR_TABLE: readonly ErrorMapping[] = [
  {
    // Sending to an address that bounced hard or complained hurts the account (AWS reviews it at
    // a 5 % bounce or 0.1 % complaint rate): refused, naming each one; nothing was queued.
    matches: (e) => e instanceof RecipientsSuppressedError,
    toHttp: (e) => recipientsSuppressed(e as RecipientsSuppressedError),
  },
  {
    // The deployment lacks configuration (an unfilled secret, say): the operator is alerted by the
    // ConfigurationIncomplete metric; the caller learns nothing about which.
    matches: (e) => e instanceof ConfigError,
    toHttp: () => configurationIncomplete(),
  },
  {
    matches: (e) => e instanceof MessageTooLargeError,
    toHttp: (e) =>
      new HttpError(413, {
        type: "payload-too-large",
        title: "Payload too large",
        // The queue carries non-ASCII as \uXXXX escapes (sqs-body.ts): 6 bytes per UTF-16 unit.
        detail: `The email is too large to queue (${(e as MessageTooLargeError).bytes} bytes as queued, where a non-ASCII character takes 6 to 12; the limit is 262144).`,
      }),
  },
  {
    // Nothing was queued and no task written; the Idempotency-Key was released for the retry.
    matches: (e) => e instanceof EnqueueFailedError,
    toHttp: () =>
      serviceUnavailable(
        "The email queue did not confirm the message; retry with the same Idempotency-Key.",
        5,
      ),
  },
  {
    // A provider delivers again on a 5xx: the event is not lost.
    matches: (e) => e instanceof PaymentEnqueueFailedError,
    toHttp: () => serviceUnavailable("The event could not be queued; deliver it again.", 30),
  },
  {
    matches: isDependencyFailure,
    toHttp: () =>
      serviceUnavailable("A service Ferry depends on is temporarily unavailable; retry shortly.", 1),
  },
];

/** The HttpError a thrown value stands for, or the value itself when it is none the table knows. */
export function toHttpError(error: unknown): unknown {
  if (error instanceof HttpError || !(error instanceof Error)) return error;
  return ERROR_TABLE.find((m) => m.matches(error))?.toHttp(error) ?? error;
}
