/**
 * The CDK app (`npm run synth`, `npm run deploy`). Settings come from context (`cdk.json` or
 * `-c key=value`); every one has a dev-safe default so synth works offline with no context and no
 * credentials. The stack is environment-agnostic: no lookups, so synth never calls AWS.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { FerryStack } from "#infra/stack.ts";
import { manifest } from "#shared/app/manifest.ts";

/** Used when the context leaves a setting out; fine for synth, to be replaced before deploying. */
const DEV_DEFAULTS = {
  emailFrom: "ferry@example.com",
  sesIdentity: "example.com",
  upstashRestUrl: "https://example.upstash.io",
} as const;

const app = new App();

/** A context value as a string; empty strings (cdk.json placeholders) count as unset. */
function setting(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

new FerryStack(app, "Ferry", {
  description: "Ferry: email task queue with live results, payment webhooks, rate limiting",
  manifest,
  emailFrom: setting("emailFrom") ?? DEV_DEFAULTS.emailFrom,
  sesIdentity: setting("sesIdentity") ?? DEV_DEFAULTS.sesIdentity,
  sesConfigurationSet: setting("sesConfigurationSet"),
  upstashRestUrl: setting("upstashRestUrl") ?? DEV_DEFAULTS.upstashRestUrl,
  rateLimits: setting("rateLimits"),
  alarmEmail: setting("alarmEmail"),
  webSocketAccessLogs: setting("webSocketAccessLogs") === "true",
});

// cdk-nag 3 is a validation plugin, not an Aspect: synth fails on any unacknowledged finding
// (acknowledgements live in infra/nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
