/**
 * Questions the wiring tests ask of a synthesized template: which function a route invokes, what
 * a function's role may do, what environment it gets. Each follows the references CloudFormation
 * itself follows (Target → Integration → function ARN), so a test proves the wiring, not a name.
 */
import { Capture, Match, type Template } from "aws-cdk-lib/assertions";

export interface Statement {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/**
 * The Lambda properties every function gets from FerryFunction's defaults (Node 22 on arm64, active
 * tracing, the bundle's handler) and from its spec (description, timeout, memory).
 */
export function expectedFunctionProperties(spec: {
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}): Record<string, unknown> {
  return {
    Runtime: "nodejs22.x",
    Architectures: ["arm64"],
    TracingConfig: { Mode: "Active" },
    Handler: "index.handler",
    Description: spec.description,
    Timeout: spec.timeoutSeconds,
    MemorySize: spec.memoryMb,
  };
}

/** Resources of one type, by logical ID. */
export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

export function resourceById(template: Template, logicalId: string): Resource {
  const resource = (template.toJSON().Resources as Record<string, Resource>)[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in the template`);
  return resource;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` → id, failing loudly on any other shape. */
function getAttTarget(value: unknown): string {
  const getAtt = (value as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
  if (!getAtt) throw new Error(`expected Fn::GetAtt, got ${JSON.stringify(value)}`);
  return getAtt[0];
}

/**
 * The logical ID of the Lambda function a route (found by API and route key) invokes: the route's
 * Target names an integration whose URI is the function's ARN (HTTP) or its invocation path (WebSocket).
 */
export function functionInvokedBy(template: Template, apiLogicalId: string, routeKey: string): string {
  const target = new Capture();
  template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
    ApiId: { Ref: apiLogicalId },
    RouteKey: routeKey,
    Target: { "Fn::Join": ["", ["integrations/", { Ref: target }]] },
  });
  const integration = resourceById(template, target.asString());
  if (integration.Type !== "AWS::ApiGatewayV2::Integration")
    throw new Error(`${target.asString()} is no integration`);
  if (integration.Properties.IntegrationType !== "AWS_PROXY") throw new Error("integration is not AWS_PROXY");
  const uri = integration.Properties.IntegrationUri;
  const join = (uri as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) return getAttTarget(uri);
  const getAtt = join[1].find((part) => typeof part === "object" && part !== null && "Fn::GetAtt" in part);
  return getAttTarget(getAtt);
}

/** Routes of one API, by route key. */
export function routeKeysOf(template: Template, apiLogicalId: string): string[] {
  return Object.values(
    template.findResources("AWS::ApiGatewayV2::Route", { Properties: { ApiId: { Ref: apiLogicalId } } }),
  ).map((route) => (route as Resource).Properties.RouteKey as string);
}

/** Every statement of every IAM policy attached to `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies)
    .flatMap((policy) => (policy as Resource).Properties.PolicyDocument as { Statement: Statement[] })
    .flatMap((document) => document.Statement);
}

/** The role logical ID of a function, from its `Role: { Fn::GetAtt: [role, "Arn"] }`. */
export function roleOfFunction(template: Template, functionLogicalId: string): string {
  return getAttTarget(resourceById(template, functionLogicalId).Properties.Role);
}

/** True when some statement allows `action` on exactly `resource`. */
export function allows(statements: readonly Statement[], action: string, resource: unknown): boolean {
  return statements.some((s) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return (
      s.Effect === "Allow" &&
      actions.includes(action) &&
      resources.some((r) => JSON.stringify(r) === JSON.stringify(resource))
    );
  });
}

export function environmentOf(template: Template, functionLogicalId: string): Record<string, unknown> {
  const env = resourceById(template, functionLogicalId).Properties.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  return env?.Variables ?? {};
}
