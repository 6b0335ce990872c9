/**
 * FerryFunction holds every function default; callers add environment without losing the defaults.
 * The bundling test runs esbuild for real on a probe entry and runs the bundle, because the ESM
 * output, the require() banner and the external AWS SDK only show their worth when the code loads.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_FUNCTION_ENVIRONMENT,
  FerryFunction,
  NEVER_LOADED_IN_LAMBDA,
  REPO_ROOT,
} from "#infra/constructs/ferry-function.ts";
import type { FunctionSpec } from "#shared/app/manifest.ts";
import { cdkJsonContext, logicalIdOf, testApp } from "#test/infra/support/build-stack.ts";
import {
  environmentOf,
  expectedFunctionProperties,
  resourceById,
  roleOfFunction,
  statementsOfRole,
} from "#test/infra/support/template-queries.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const spec: FunctionSpec = {
  entry: "test/infra/fixtures/handler.ts",
  description: "probe function",
  timeoutSeconds: 7,
  memoryMb: 192,
  needs: [],
};

describe("FerryFunction", () => {
  it("merges the caller's environment over its defaults instead of replacing them", () => {
    // Prepare
    const stack = new Stack(testApp(), "Probe");

    // Act
    const fn = new FerryFunction(stack, "Probe", {
      spec,
      environment: { LOG_LEVEL: "DEBUG", FEATURE_FLAG: "on" },
    });
    fn.addEnvironment("ADDED_LATER", "yes");

    // Assess
    const env = environmentOf(Template.fromStack(stack), logicalIdOf(stack, fn));
    expect(env).toEqual({
      ...DEFAULT_FUNCTION_ENVIRONMENT,
      LOG_LEVEL: "DEBUG",
      FEATURE_FLAG: "on",
      ADDED_LATER: "yes",
    });
  });

  it("keeps every default when the caller adds no environment", () => {
    // Prepare
    const stack = new Stack(testApp(), "Probe");

    // Act
    const fn = new FerryFunction(stack, "Probe", { spec });

    // Assess
    expect(environmentOf(Template.fromStack(stack), logicalIdOf(stack, fn))).toEqual(
      DEFAULT_FUNCTION_ENVIRONMENT,
    );
  });

  it("builds the function from the spec with the runtime, architecture and tracing defaults", () => {
    // Prepare
    const stack = new Stack(testApp(), "Probe");

    // Act
    const fn = new FerryFunction(stack, "Probe", { spec });

    // Assess
    const props = resourceById(Template.fromStack(stack), logicalIdOf(stack, fn)).Properties;
    expect(fn.entry).toBe(join(REPO_ROOT, spec.entry));
    expect(props).toMatchObject(expectedFunctionProperties(spec));
  });

  it("uses its own role: log writes to its log group only, X-Ray in a separate policy, no managed policy", () => {
    // Prepare
    const stack = new Stack(testApp(), "Probe");

    // Act
    const fn = new FerryFunction(stack, "Probe", { spec });

    // Assess
    const template = Template.fromStack(stack);
    const roleId = roleOfFunction(template, logicalIdOf(stack, fn));
    expect(resourceById(template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
    const logGroupArn = { "Fn::GetAtt": [logicalIdOf(stack, fn.logGroup), "Arn"] };
    expect(statementsOfRole(template, roleId)).toEqual(
      expect.arrayContaining([
        { Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Effect: "Allow", Resource: logGroupArn },
        { Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Effect: "Allow", Resource: "*" },
      ]),
    );
    const xrayPolicyId = logicalIdOf(stack, fn.xrayPolicy);
    expect(resourceById(template, xrayPolicyId).Properties.PolicyDocument).toEqual({
      Statement: [
        { Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Effect: "Allow", Resource: "*" },
      ],
      Version: "2012-10-17",
    });
  });
});

/** The @aws-sdk/client-sqs installed here: the one the tests ran against. */
const sqsClientVersion = (
  JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/@aws-sdk/client-sqs/package.json"), "utf8")) as {
    version: string;
  }
).version;

describe("FerryFunction bundling (esbuild for real)", () => {
  // Under node_modules/ (git-ignored), so a test that dies leaves nothing in the work tree.
  let outdir = "";
  beforeAll(() => {
    outdir = mkdtempSync(join(REPO_ROOT, "node_modules", ".cache-ferry-infra-test-"));
  });
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it("emits an ESM .mjs bundle with a source map that loads CommonJS deps and bundles the AWS SDK it imports", async () => {
    // Prepare
    const app = new App({ outdir, context: cdkJsonContext() });
    const stack = new Stack(app, "Bundled");
    const fn = new FerryFunction(stack, "Probe", {
      spec: { ...spec, entry: "test/infra/fixtures/bundle-probe.ts" },
    });

    // Act
    const template = Template.fromStack(stack);
    const code = resourceById(template, logicalIdOf(stack, fn)).Properties.Code as { S3Key: string };
    const assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, "")}`);
    const bundle = readFileSync(join(assetDir, "index.mjs"), "utf8");
    const probe = (await import(pathToFileURL(join(assetDir, "index.mjs")).href)) as {
      handler: () => Promise<{ webSocketOpen: number; accessKeyId: string }>;
    };
    vi.stubEnv("AWS_ACCESS_KEY_ID", "probe-key");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "probe-secret");
    const result = await probe.handler();
    vi.unstubAllEnvs();

    // Assess
    expect(bundle.startsWith("import { createRequire")).toBe(true);
    // The SDK is inside the bundle, at the version installed (and tested) here; none is imported
    // from the Lambda runtime.
    expect(bundle).not.toMatch(/from\s*"@aws-sdk\//);
    expect(bundle).toContain(`"${sqsClientVersion}"`);
    // Left out of the bundle, they may only ever be imported lazily: a static import of one would
    // fail every cold start in Lambda, where they are not installed.
    for (const name of NEVER_LOADED_IN_LAMBDA) {
      expect(bundle).not.toMatch(new RegExp(`from\\s*"${name}"`));
      expect(bundle).toContain(`import("${name}")`);
    }
    expect(JSON.parse(readFileSync(join(assetDir, "index.mjs.map"), "utf8")).sources).toEqual(
      expect.arrayContaining([expect.stringMatching(/bundle-probe\.ts$/)]),
    );
    // `ws` is CommonJS and require()s Node built-ins: this throws without the banner.
    expect(result).toEqual({ webSocketOpen: 1, accessKeyId: "probe-key" });
  });
});
