/**
 * One Powertools logger per container. Handlers wrap it with `injectLambdaContext` (keys reset
 * per invocation) and append correlation ids (request id, route, task id) as they learn them.
 */
import { Logger } from "@aws-lambda-powertools/logger";

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "ferry" });
