/**
 * The cdk-nag (AwsSolutions) findings Ferry accepts, each on the narrowest construct that raises
 * it and each with its reason. Everything else nag reports was fixed in the constructs: access logs
 * on the HTTP stage, TLS-only and encrypted queues, a TLS-only alarm topic, one role per function
 * without the AWSLambdaBasicExecutionRole managed policy. The stack calls this at the end of its
 * constructor, so `cdk synth` and the tests judge the same acknowledgements.
 */
import { type CfnElement, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import type { RouteAuth } from "#shared/app/manifest.ts";
import { WEBSOCKET_STAGE_NAME } from "./constructs/ferry-websocket-api.ts";
import type { FerryStack } from "./stack.ts";

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function httpRouteReason(routeKey: string, auth: RouteAuth): string {
  switch (auth.kind) {
    case "none":
      return `${routeKey} is public by design (manifest auth "none").`;
    case "apiKey":
      return (
        `${routeKey} requires a Bearer API key with scope ${auth.scopes.join(", ")}, checked by the function's ` +
        "middleware against SHA-256 key hashes in Redis, so 401/403 keep Ferry's problem+json format " +
        "(an API Gateway authorizer would answer in its own format and repeat the Redis lookup)."
      );
    case "webhookSignature":
      return (
        `${routeKey} is called by a payment provider and authenticated by the provider's signature ` +
        "over the raw request body, which only the function receives."
      );
  }
}

export function acknowledgeNagFindings(stack: FerryStack): void {
  acknowledge(
    stack.secrets,
    "AwsSolutions-SMG4",
    "The secret holds third-party credentials (Upstash token, payment provider webhook secrets and " +
      "keys) that can only be rotated at the provider; rotation is putting the new value, and every " +
      "webhook secret accepts a comma-separated list so old and new overlap.",
  );

  for (const fn of Object.values(stack.functions)) {
    acknowledge(
      fn,
      "AwsSolutions-L1",
      "Node.js 22 is the runtime Ferry is built and tested for (esbuild target node22); moving to a " +
        "newer runtime is a deliberate, tested change rather than following the latest.",
    );
    acknowledge(
      fn.xrayPolicy,
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; this policy " +
        "holds only those two actions.",
    );
  }

  // infra/need-statements.ts: in the SES sandbox each recipient's identity is checked too, and recipients
  // are only known at run time.
  const sandboxRecipients =
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]";
  for (const fn of Object.values(stack.functions)) {
    if (!fn.spec.needs.includes("ses:send") || !fn.role) continue;
    acknowledge(
      fn.role,
      sandboxRecipients,
      "In the SES sandbox, SendEmail is also authorized against each recipient's identity, known only " +
        "at run time; the grant is ses:SendEmail only, conditioned on ses:FromAddress being Ferry's sender.",
    );
  }

  const fallbackKey = "$default";
  acknowledge(
    stack.httpApi.fallbackRoute,
    "AwsSolutions-APIG4",
    `${fallbackKey} only answers 404 problem+json for paths no route matches; it reads and returns no data.`,
  );
  for (const route of stack.manifest.http.routes) {
    const key = `${route.method} ${route.path}`;
    const construct = stack.httpApi.routes.get(key);
    if (construct) acknowledge(construct, "AwsSolutions-APIG4", httpRouteReason(key, route.auth));
  }

  const ws = stack.webSocketApi;
  if (!ws) return;
  for (const [routeKey, route] of ws.routes) {
    acknowledge(
      route,
      "AwsSolutions-APIG4",
      routeKey === "$connect"
        ? "Clients authenticate on $connect with a single-use ticket (60 s) in the query string, checked " +
            "by the function; browsers cannot send an Authorization header on a WebSocket upgrade."
        : `${routeKey} is only reachable on a connection $connect accepted; API Gateway runs WebSocket ` +
            "authorizers on $connect only.",
    );
  }
  if (!ws.accessLogs) {
    acknowledge(
      ws.stage,
      "AwsSolutions-APIG1",
      "WebSocket access logs need the region's API Gateway CloudWatch role (an account-wide setting this " +
        "stack must not own); enable them with the webSocketAccessLogs setting where the role exists.",
    );
  }
  const apiLogicalId = stack.getLogicalId(ws.api.node.defaultChild as CfnElement);
  const manageConnections =
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:` +
    `<${apiLogicalId}>/${WEBSOCKET_STAGE_NAME}/POST/@connections/*]`;
  for (const fn of Object.values(stack.functions)) {
    if (!fn.spec.needs.includes("websocket:manage") || !fn.role) continue;
    acknowledge(
      fn.role,
      manageConnections,
      "Connection IDs exist only at run time; the grant is limited to POST @connections/{id} " +
        `(execute-api:ManageConnections) on this API's "${WEBSOCKET_STAGE_NAME}" stage.`,
    );
  }
}
