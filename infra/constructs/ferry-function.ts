/**
 * Every Ferry Lambda function: one place for the runtime, architecture, bundling, tracing and
 * logging defaults, so the stack only says which manifest entry to build and what env it adds.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration } from "aws-cdk-lib";
import { Policy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, type CfnFunction, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { DEFAULT_FUNCTION_ENVIRONMENT } from "#infra/function-environment.ts";
import type { FunctionSpec } from "#shared/app/manifest.ts";

/** The repository root: manifest entries are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * esbuild's ESM output turns a CommonJS dependency's `require()` into a shim that throws; defining
 * `require` with createRequire lets those dependencies load their own CommonJS imports.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);";

export { DEFAULT_FUNCTION_ENVIRONMENT } from "#infra/function-environment.ts";

/**
 * Credential providers of the SDK's default chain that read a developer's machine (SSO cache,
 * ~/.aws files, credential_process, a web-identity token file). The chain reaches them only by
 * dynamic import, and only after the environment provider found nothing; Lambda puts the role's
 * credentials in the environment (and Ferry sets no AWS_PROFILE), so they never load there.
 * Leaving them out of the bundle drops them and the STS/SSO clients they pull in (~85 KB each).
 * The container-credentials (HTTP) and EC2 instance-metadata providers are the chain's last
 * links, reached the same way: Lambda's execution environment has no instance metadata service and
 * sets no container-credentials URI, so they never load there either (~11 KB). Running these
 * bundles anywhere else (a container, EC2) would need them back.
 */
export const NEVER_LOADED_IN_LAMBDA = [
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
] as const;

/**
 * How every function is bundled (esbuild through NodejsFunction). Exported so `npm run bench`
 * builds the very same bundles to measure their size and start-up (bench/pipeline-bundles.ts).
 */
export const FERRY_BUNDLING = {
  format: OutputFormat.ESM,
  target: "node22",
  // Prefer dependencies' ESM builds: they tree-shake and need no require() shim.
  mainFields: ["module", "main"],
  minify: true,
  // Error classes are matched and logged by name; minification must not rename them.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  banner: ESM_REQUIRE_BANNER,
  // The AWS SDK is bundled, not taken from the runtime: the Lambda runtime's SDK is one AWS
  // pins and updates on its own schedule, so the version tested would not be the version
  // shipped (AWS's own advice: aws-sdk-js-v3 supplemental-docs/AWS_LAMBDA.md). Each function
  // imports only its own clients (shared/aws/*-client.ts), which keeps this small.
  externalModules: [...NEVER_LOADED_IN_LAMBDA],
} as const satisfies BundlingOptions;

export interface FerryFunctionProps {
  /** The manifest entry this function is built from. */
  readonly spec: FunctionSpec;
  /** Merged over DEFAULT_FUNCTION_ENVIRONMENT (the caller wins on a clash); never replaces it. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Directory `spec.entry` is relative to. @default REPO_ROOT */
  readonly projectRoot?: string;
}

export class FerryFunction extends NodejsFunction {
  /** The manifest entry the function was built from. */
  readonly spec: FunctionSpec;
  /** Absolute path of the bundled entry file. */
  readonly entry: string;
  /**
   * X-Ray's write actions, in a policy of their own: they only work on `Resource: *`, and keeping
   * them apart lets that one wildcard be acknowledged without hiding any other in the role.
   */
  readonly xrayPolicy: Policy;

  constructor(scope: Construct, id: string, props: FerryFunctionProps) {
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const entry = join(projectRoot, props.spec.entry);
    // Created beside the function (a subclass cannot use `this` before super()): an explicit log
    // group gets a retention, and an explicit role avoids the AWSLambdaBasicExecutionRole managed
    // policy, which may write to every log group in the account.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry,
      handler: "handler",
      projectRoot,
      depsLockFilePath: join(projectRoot, "package-lock.json"),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.spec.description,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      memorySize: props.spec.memoryMb,
      ...(props.spec.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.spec.reservedConcurrency }
        : {}),
      logGroup,
      role,
      environment: { ...DEFAULT_FUNCTION_ENVIRONMENT, ...props.environment },
      bundling: FERRY_BUNDLING,
    });
    this.spec = props.spec;
    this.entry = entry;
    // Active tracing set on the L1: the L2 `tracing` prop would put the X-Ray wildcard statement
    // into the role's default policy, mixed with every other grant.
    (this.node.defaultChild as CfnFunction).tracingConfig = { mode: Tracing.ACTIVE };
    this.xrayPolicy = new Policy(scope, `${id}XRayPolicy`, {
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          resources: ["*"],
        }),
      ],
    });
    // Traces from the first invocation need the permission in place.
    this.node.addDependency(this.xrayPolicy);
  }
}
