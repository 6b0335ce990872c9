/** The proxies' one way to pass a request on: same method, path and headers, to another host. */
import { type Agent, type ClientRequest, type IncomingMessage, request } from "node:http";

export function upstreamRequest(
  req: IncomingMessage,
  upstream: URL,
  onAnswer: (answer: IncomingMessage) => void,
  agent?: Agent,
): ClientRequest {
  return request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      ...(agent ? { agent } : {}),
    },
    onAnswer,
  );
}
