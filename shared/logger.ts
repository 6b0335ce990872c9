/**
 * One Powertools logger per container. Handlers wrap it with `injectLambdaContext` (keys reset
 * per invocation) and append correlation ids (request id, route, task id) as they learn them.
 *
 * A Redis client that puts the whole failed command in its error message (`…, command was:
 * [...]`, as @upstash/redis does; Ferry's own client never echoes it) would log customer data (a
 * payment event with an email address, a task). The replacer drops any such echo from every
 * logged string, stack traces included, and keeps the rest.
 */
import { Logger } from "@aws-lambda-powertools/logger";

const COMMAND_ECHO = /, command was: .*$/gm;

export function redactCommandEcho(_key: string, value: unknown): unknown {
  return typeof value === "string" ? value.replace(COMMAND_ECHO, ", command was: (omitted)") : value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "ferry",
  jsonReplacerFn: redactCommandEcho,
});
