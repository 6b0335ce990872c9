/** The proxies' one way to pass a request on: same method, path and headers, to another host. */
import {
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
} from "node:http";
import { request as httpsRequest } from "node:https";

export function upstreamRequest(
  req: IncomingMessage,
  upstream: URL,
  onAnswer: (answer: IncomingMessage) => void,
  agent?: Agent,
  /** Headers to send instead of the request's own (a re-signed call, resign.ts). */
  headers?: OutgoingHttpHeaders,
): ClientRequest {
  // An external endpoint (FERRY_LOCAL_*_ENDPOINT) may be https; the emulators are plain http.
  const send = upstream.protocol === "https:" ? httpsRequest : request;
  return send(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: headers ?? { ...req.headers, host: upstream.host },
      // A keep-alive agent is an http one; an https upstream gets the default agent.
      ...(agent && upstream.protocol !== "https:" ? { agent } : {}),
    },
    onAnswer,
  );
}
