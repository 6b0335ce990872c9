/**
 * Environment every Ferry function gets besides its settings and its needs' variables, on AWS
 * (infra/constructs/ferry-function.ts) and locally (infra/local/functions/function-env.ts). Free of CDK
 * imports so the local runtime can read it without loading aws-cdk-lib.
 */
export const DEFAULT_FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  // Stack traces in CloudWatch point at the TypeScript sources, not the minified bundle.
  NODE_OPTIONS: "--enable-source-maps",
  POWERTOOLS_SERVICE_NAME: "ferry",
  LOG_LEVEL: "INFO",
};
