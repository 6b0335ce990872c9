/**
 * The CDK app (`npm run synth`, `npm run deploy`). Settings come from context (`cdk.json` or
 * `-c key=value`, read by infra/settings.ts); every one has a dev-safe default so synth works
 * offline with no context and no credentials. `npm run deploy` refuses those defaults before cdk
 * runs (infra/scripts/deploy.ts). The stack is environment-agnostic: no lookups, so synth never
 * calls AWS. `-c stage=<name>` names the stack Ferry-<name>, so several fit one account.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { readSettings, stackNameFor } from "#infra/settings.ts";
import { FerryStack } from "#infra/stack.ts";
import { manifest } from "#shared/app/manifest.ts";

/** Used when the context leaves a setting out; fine for synth, refused by the deploy preflight. */
const DEV_DEFAULTS = {
  emailFrom: "ferry@example.com",
  sesIdentity: "example.com",
  upstashRestUrl: "https://example.upstash.io",
} as const;

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key));

new FerryStack(app, stackNameFor(settings.stage), {
  description: "Ferry: email task queue with live results, payment webhooks, rate limiting",
  manifest,
  emailFrom: settings.emailFrom ?? DEV_DEFAULTS.emailFrom,
  sesIdentity: settings.sesIdentity ?? DEV_DEFAULTS.sesIdentity,
  sesConfigurationSet: settings.sesConfigurationSet,
  upstashRestUrl: settings.upstashRestUrl ?? DEV_DEFAULTS.upstashRestUrl,
  rateLimits: settings.rateLimits,
  alarmEmail: settings.alarmEmail,
  webSocketAccessLogs: settings.webSocketAccessLogs === "true",
  // Malformed origins are named by the stack's own check (settingProblems), not dropped here.
  consoleOrigins: (settings.consoleOrigins ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== ""),
});

// cdk-nag 3 is a validation plugin, not an Aspect: synth fails on any unacknowledged finding
// (acknowledgements live in infra/nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
