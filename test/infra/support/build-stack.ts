/**
 * Builds FerryStack the way `cdk synth` does, minus esbuild: cdk.json's feature flags merged into
 * the app context (tests do not read cdk.json by themselves) and bundling skipped, so a test
 * synthesizes in well under a second and checks wiring, not bundles (`npm run synth` bundles).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, CfnElement, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { REPO_ROOT } from "#infra/constructs/ferry-function.ts";
import { FerryStack, type FerryStackProps } from "#infra/stack.ts";
import { manifest } from "#shared/app/manifest.ts";

/** cdk.json's context: the recommended feature flags and the dev defaults of the app settings. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** A test app: cdk.json's context plus "bundle no stack". */
export function testApp(): App {
  return new App({ context: { ...cdkJsonContext(), "aws:cdk:bundling-stacks": [] } });
}

export const TEST_SETTINGS = {
  emailFrom: "ferry@mail.example.com",
  sesIdentity: "mail.example.com",
  upstashRestUrl: "https://test-ferry.upstash.io",
  rateLimits: '{"api":{"capacity":20,"refillPerSecond":2}}',
  alarmEmail: "oncall@example.com",
} as const satisfies Partial<FerryStackProps>;

export interface BuiltStack {
  readonly app: App;
  readonly stack: FerryStack;
  readonly template: Template;
}

/** Synthesizes FerryStack from `props` (the real manifest and TEST_SETTINGS unless overridden). */
export function buildStack(props: Partial<FerryStackProps> = {}, app: App = testApp()): BuiltStack {
  const stack = new FerryStack(app, "FerryTest", { manifest, ...TEST_SETTINGS, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical ID CloudFormation knows a construct (or its main resource) by. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const element = construct.node.defaultChild ?? construct;
  if (!CfnElement.isCfnElement(element))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}
