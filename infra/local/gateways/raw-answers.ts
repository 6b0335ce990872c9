/**
 * Answers the runtime's server writes itself, on a raw socket, for requests that never reach a
 * gateway: bytes node:http cannot parse (`clientError`), CONNECT requests, and a listener that
 * threw. Node's defaults would send a bare `400 Bad Request` without a body, or close the
 * connection; Ferry's contract is that every error is application/problem+json.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { PROBLEM_BASE } from "#shared/http/errors.ts";

/** The node:http parser errors that are not a plain 400 (the same mapping node applies). */
const PARSER_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

export function problemBody(status: number, detail: string): string {
  const title = STATUS_CODES[status] ?? "Error";
  const type = `${PROBLEM_BASE}${status >= 500 ? "internal" : "bad-request"}`;
  return JSON.stringify({ type, title, status, detail });
}

/**
 * Writes a complete problem+json response on a socket and closes it. The answer to a HEAD
 * request has the headers only: a client reads no body after it, so one would corrupt its parse.
 */
export function answerOnSocket(
  socket: Duplex,
  status: number,
  detail: string,
  options: { extraHeaders?: string; head?: boolean } = {},
): void {
  if (socket.destroyed || !socket.writable) return;
  const body = problemBody(status, detail);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\n${options.extraHeaders ?? ""}` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      (options.head ? "" : body),
  );
}

/** For the server's `clientError` event. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // The client went away: there is no one to answer.
  if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
  const status = (error.code && PARSER_STATUS[error.code]) || 400;
  // The parser hands over the bytes it choked on: enough to tell a HEAD request.
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  const head = Buffer.isBuffer(raw) && raw.subarray(0, 5).toString("latin1") === "HEAD ";
  answerOnSocket(socket, status, "The request could not be parsed as HTTP/1.1.", { head });
}

/** For the server's `connect` event: API Gateway does not proxy CONNECT either. */
export function answerConnect(socket: Duplex): void {
  socket.on("error", () => socket.destroy());
  answerOnSocket(socket, 405, "CONNECT is not supported.", {
    extraHeaders: "Allow: GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD\r\n",
  });
}
