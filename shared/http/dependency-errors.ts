/**
 * Errors that mean "a dependency did not answer in time or at all" rather than "this request is
 * wrong" or "our code is wrong": the Redis client's own errors, its per-call timeout, and network
 * failures. The HTTP chain answers them with 503 + Retry-After (retry later) instead of a bare
 * 500. The Upstash client folds Redis's status into a generic error, so every error it raises is
 * treated as a dependency failure; the log keeps the real cause.
 */
import { serviceUnavailable } from "./errors.ts";

const DEPENDENCY_ERROR_NAMES = new Set([
  "UpstashError",
  "UpstashJSONParseError",
  "TimeoutError",
  "AbortError",
]);

export function isDependencyFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (DEPENDENCY_ERROR_NAMES.has(error.name)) return true;
  // undici (fetch) reports refused / reset connections as TypeError("fetch failed", {cause}).
  return error instanceof TypeError && error.message === "fetch failed";
}

export const dependencyUnavailable = () =>
  serviceUnavailable("A service Ferry depends on is temporarily unavailable; retry shortly.", 1);
