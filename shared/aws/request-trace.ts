/**
 * What became of the HTTP request behind one SDK call: did it leave this process in full? The
 * email worker needs this to tell "SES cannot have accepted the email" (the request never got
 * out: connection refused or timed out, TLS handshake never finished) from "SES may have it" (the
 * whole request was sent and no answer came back).
 *
 * Node publishes every outgoing request on the `http.client.request.start` diagnostics channel,
 * synchronously, in the async context of the code that made it; an AsyncLocalStorage slot set
 * around the SDK call catches the request the SDK made for it. The last request started in the
 * slot wins: a credentials fetch the SDK makes first is superseded by the call's own request.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

export interface RequestTrace {
  /** The call made an HTTP request at all (false: it failed before any I/O). */
  readonly started: boolean;
  /**
   * Its headers and body were all handed to the operating system (ClientRequest#writableFinished).
   * Over HTTPS that needs a finished TLS handshake, so a server that accepts the TCP connection
   * and never answers leaves this false; over plain HTTP it is true as soon as the socket connects.
   */
  readonly fullySent: boolean;
  /** It went out on a kept-alive socket that had already carried an earlier request. */
  readonly reusedSocket: boolean;
}

export type Traced<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown; readonly request: RequestTrace };

interface Slot {
  request?: ClientRequest;
}

const slots = new AsyncLocalStorage<Slot>();

subscribe("http.client.request.start", (message) => {
  const slot = slots.getStore();
  if (slot) slot.request = (message as { request: ClientRequest }).request;
});

/** Runs one SDK call and, when it fails, says how far its HTTP request got. */
export async function traceRequest<T>(call: () => Promise<T>): Promise<Traced<T>> {
  const slot: Slot = {};
  try {
    return { ok: true, value: await slots.run(slot, call) };
  } catch (error) {
    const request = slot.request;
    return {
      ok: false,
      error,
      request: {
        started: request !== undefined,
        fullySent: request?.writableFinished ?? false,
        reusedSocket: request?.reusedSocket ?? false,
      },
    };
  }
}
