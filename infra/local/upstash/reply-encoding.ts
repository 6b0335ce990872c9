/**
 * Turns raw Redis replies (ioredis in buffer mode) into the JSON values the Upstash REST API sends.
 *
 * With `Upstash-Encoding: base64` (the @upstash/redis default) every string is base64 of the exact
 * bytes Redis returned, so binary values survive JSON. The one exception is a top-level "OK":
 * @upstash/redis 1.39 (`decode()` in pkg/http.ts) passes a top-level "OK" through untouched but
 * base64-decodes every string nested in an array, so "OK" is sent raw only at the top level.
 * A top-level bulk string whose bytes are "OK" decodes to the same "OK", so status and bulk replies
 * need not be told apart (ioredis cannot, in buffer mode). Integers stay numbers, nil stays null.
 */

/** A reply as ioredis returns it from `callBuffer`: errors can only appear nested (EXEC, Lua). */
export type RawReply = Buffer | number | null | Error | readonly RawReply[];

export type JsonReply = string | number | null | JsonReply[];

export type ResponseEncoding = "base64" | "utf8";

const OK = Buffer.from("OK");

function encodeNested(reply: RawReply, encoding: ResponseEncoding): JsonReply {
  if (reply === null || typeof reply === "number") return reply;
  if (Buffer.isBuffer(reply)) return reply.toString(encoding);
  if (Array.isArray(reply)) return reply.map((element: RawReply) => encodeNested(element, encoding));
  if (reply instanceof Error) {
    // An error nested in an array (a Lua table holding redis.error_reply): the REST API has no
    // shape for it, so it travels as its text, like any other string.
    return Buffer.from(reply.message).toString(encoding);
  }
  return null;
}

export function encodeReply(reply: RawReply, encoding: ResponseEncoding): JsonReply {
  if (encoding === "base64" && Buffer.isBuffer(reply) && reply.equals(OK)) return "OK";
  return encodeNested(reply, encoding);
}
