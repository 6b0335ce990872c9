/**
 * Sends one server message to one connection through the management API (PostToConnection),
 * and classifies the outcome. A GoneException means the client is no longer connected; callers
 * then forget the connection. Anything else is logged here and reported as "failed".
 *
 * Each attempt has its own deadline, and an attempt that runs out of time is tried again, a
 * bounded number of times: the SDK's `requestTimeout` only logs a warning (it does not end the
 * call, see aws-fidelity.md), so without this one hung request would hold a worker until Lambda
 * killed it. A timed-out attempt may still have reached the client, so a retry can deliver a
 * message twice; clients ignore a `task.updated` whose version they have seen (docs/realtime.md)
 * and every other reply is harmless to repeat.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { logger } from "#shared/logger.ts";
import type { ServerMessage } from "./messages.ts";

export type DeliveryOutcome = "delivered" | "gone" | "failed";

/** Attempts per message when they time out: the worst case stays a few seconds per push. */
export const DELIVERY_ATTEMPTS = 3;
/** PostToConnection answers in tens of milliseconds; one that takes a second is stuck. */
export const ATTEMPT_TIMEOUT_MS = 1000;

export interface DeliveryOptions {
  readonly attempts?: number;
  readonly attemptTimeoutMs?: number;
  /** The caller's logger; the container's by default. */
  readonly log?: Logger;
}

/** By name too: a second copy of the SDK in a bundle would defeat `instanceof`. */
export const isGoneError = (error: unknown): boolean =>
  error instanceof GoneException || (error as { name?: unknown } | null)?.name === "GoneException";

/** Our own deadline fired, or the SDK gave up connecting (its connectionTimeout). */
const timedOut = (error: unknown, signal: AbortSignal): boolean =>
  signal.aborted || (error as { name?: unknown } | null)?.name === "TimeoutError";

export async function deliver(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
  message: ServerMessage,
  options: DeliveryOptions = {},
): Promise<DeliveryOutcome> {
  const attempts = Math.max(1, options.attempts ?? DELIVERY_ATTEMPTS);
  const data = Buffer.from(JSON.stringify(message));
  for (let attempt = 1; ; attempt++) {
    const signal = AbortSignal.timeout(options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS);
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }), {
        abortSignal: signal,
      });
      return "delivered";
    } catch (error) {
      if (isGoneError(error)) return "gone";
      const retry = timedOut(error, signal) && attempt < attempts;
      (options.log ?? logger).warn(
        retry ? "PostToConnection timed out; retrying" : "PostToConnection failed",
        {
          connectionId,
          messageType: message.type,
          attempt,
          error: error as Error,
        },
      );
      if (!retry) return "failed";
    }
  }
}
