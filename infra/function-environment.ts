/**
 * Environment every Ferry function gets besides its settings and its needs' variables, on AWS
 * (infra/constructs/ferry-function.ts) and locally (infra/local/functions/function-env.ts). Free of CDK
 * imports so the local runtime can read it without loading aws-cdk-lib.
 */
export const DEFAULT_FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  // No NODE_OPTIONS=--enable-source-maps: Node then reads and parses each bundle's source map
  // at every cold start, measured at 8-15 ms of a 40-100 ms module init (BENCHMARKS.md, target
  // 50 ms). Stack traces name the original functions (the bundle keeps names) and the map ships
  // beside each bundle (index.mjs.map) to resolve a minified position when one is needed.
  POWERTOOLS_SERVICE_NAME: "ferry",
  LOG_LEVEL: "INFO",
};
