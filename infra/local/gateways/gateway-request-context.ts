/**
 * The request-context values API Gateway stamps on every event (HTTP and WebSocket alike):
 * the API's identity, its time format, its request ids and the caller's source IP.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface GatewayIdentity {
  readonly apiId: string;
  readonly accountId: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's access-log time format: `12/Mar/2020:19:03:58 +0000`. */
export function gatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

/** API Gateway request ids look like `JKJaXmPLvHcESHA=`. */
export const gatewayRequestId = (): string => randomBytes(11).toString("base64");

export const sourceIpOf = (req: IncomingMessage): string =>
  (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
