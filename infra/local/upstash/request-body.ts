/**
 * Reads and checks the JSON bodies @upstash/redis POSTs: one command (`["SET","k","v"]`) or a list
 * of them (`/pipeline`, `/multi-exec`). Arguments arrive as JSON strings and numbers; Redis only
 * knows strings, so anything else is sent as its JSON text (a number 5 becomes "5").
 */
import type { IncomingMessage } from "node:http";
import type { Command } from "./redis-runner.ts";

export class BadRequestError extends Error {
  override readonly name = "BadRequestError";
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining past the limit so the client gets the 413 instead of a reset connection.
    if (size <= limitBytes) chunks.push(chunk);
  }
  if (size > limitBytes) {
    throw new BadRequestError(`ERR request body exceeds ${limitBytes} bytes`, 413);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR a command must be a non-empty JSON array");
  }
  const [name, ...args] = value as unknown[];
  if (typeof name !== "string" || name.length === 0) {
    throw new BadRequestError("ERR a command must start with its name as a string");
  }
  return [name, ...args.map((a) => (typeof a === "string" ? a : JSON.stringify(a)))];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new BadRequestError("ERR the request body is not valid JSON");
  }
}

export function parseCommand(body: string): Command {
  return toCommand(parseJson(body));
}

export function parseCommandList(body: string): Command[] {
  const value = parseJson(body);
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR the body must be a non-empty JSON array of commands");
  }
  return value.map(toCommand);
}
