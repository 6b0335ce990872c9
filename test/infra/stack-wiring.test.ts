/**
 * FerryStack is built from the manifest: every assertion here iterates over a manifest and follows
 * CloudFormation references to prove each route, queue and need is wired to the right function.
 * It reads the real manifest and the need table (shared/app/needs.ts) the stack reads, so a new
 * function or need is covered here without editing this file.
 */
import { join } from "node:path";
import { Match, type Template } from "aws-cdk-lib/assertions";
import type { Construct } from "constructs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_FUNCTION_ENVIRONMENT, REPO_ROOT } from "#infra/constructs/ferry-function.ts";
import { HTTP_ACCESS_LOG_FORMAT } from "#infra/constructs/ferry-http-api.ts";
import { WEBSOCKET_ACCESS_LOG_FORMAT, WEBSOCKET_STAGE_NAME } from "#infra/constructs/ferry-websocket-api.ts";
import { DEFAULT_HTTP_THROTTLE, type FerryStack, INITIAL_SECRET_VALUE } from "#infra/stack.ts";
import {
  type AppManifest,
  CONSUME_NEED,
  type EnvSource,
  FUNCTION_NEEDS,
  type FunctionNeed,
  isOptionalSource,
  NEEDS,
  type QueueName,
  type ResourceRef,
  manifest as realManifest,
} from "#shared/app/manifest.ts";
import { MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO } from "#shared/app/validate.ts";
import { SES_DETAIL_TYPES } from "#shared/delivery/ses-event.ts";
import { buildStack, logicalIdOf, TEST_SETTINGS } from "#test/infra/support/build-stack.ts";
import {
  allows,
  environmentOf,
  expectedFunctionProperties,
  functionInvokedBy,
  resourceById,
  roleOfFunction,
  routeKeysOf,
  statementsOfRole,
} from "#test/infra/support/template-queries.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const manifests: readonly { label: string; manifest: AppManifest }[] = [
  { label: "real manifest", manifest: realManifest },
];

const queueEntries = (manifest: AppManifest) =>
  Object.entries(manifest.queues).flatMap(([name, spec]) =>
    spec ? [[name as QueueName, spec] as const] : [],
  );

describe.each(manifests)("FerryStack built from the $label", ({ manifest }) => {
  let stack: FerryStack;
  let template: Template;
  const fnId = (name: string): string => {
    const fn = stack.functions[name];
    if (!fn) throw new Error(`no function ${name}`);
    return logicalIdOf(stack, fn);
  };
  const queueIds = (name: QueueName) => {
    const queue = stack.queues[name];
    if (!queue) throw new Error(`no queue ${name}`);
    return { queue: logicalIdOf(stack, queue.queue), dlq: logicalIdOf(stack, queue.deadLetterQueue) };
  };
  const httpApiId = () => logicalIdOf(stack, stack.httpApi.api);
  const webSocketApiId = () => {
    if (!stack.webSocketApi) throw new Error("no WebSocket API");
    return logicalIdOf(stack, stack.webSocketApi.api);
  };

  beforeAll(() => {
    ({ stack, template } = buildStack({ manifest }));
  });

  it("builds one Node 22 arm64 function with active tracing from each manifest entry", () => {
    template.resourceCountIs("AWS::Lambda::Function", Object.keys(manifest.functions).length);
    for (const [name, spec] of Object.entries(manifest.functions)) {
      expect(stack.functions[name]?.entry).toBe(join(REPO_ROOT, spec.entry));
      const matching = template.findResources("AWS::Lambda::Function", {
        Properties: Match.objectLike(expectedFunctionProperties(spec)),
      });
      expect(Object.keys(matching), name).toContain(fnId(name));
    }
  });

  it("gives every function its own log group with a retention", () => {
    for (const name of Object.keys(manifest.functions)) {
      const config = resourceById(template, fnId(name)).Properties.LoggingConfig as {
        LogGroup: { Ref: string };
      };
      const logGroup = resourceById(template, config.LogGroup.Ref);
      expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
      expect(logGroup.Properties.RetentionInDays, name).toBe(30);
    }
  });

  it("routes each HTTP route (METHOD path) to the function the manifest names, and nothing else", () => {
    const expectedKeys = manifest.http.routes.map((r) => `${r.method} ${r.path}`);
    expect(routeKeysOf(template, httpApiId()).sort()).toEqual([...expectedKeys, "$default"].sort());
    for (const route of manifest.http.routes) {
      const key = `${route.method} ${route.path}`;
      expect(functionInvokedBy(template, httpApiId(), key), key).toBe(fnId(route.function));
    }
  });

  it("sends requests no route matches ($default) to the fallback function", () => {
    expect(functionInvokedBy(template, httpApiId(), "$default")).toBe(fnId(manifest.http.fallback));
  });

  it("lets API Gateway invoke each HTTP route's function for that path only", () => {
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission")).map(
      (p) =>
        p.Properties as {
          FunctionName: unknown;
          Principal: string;
          SourceArn: { "Fn::Join": [string, unknown[]] };
        },
    );
    for (const route of manifest.http.routes) {
      const granted = permissions.some(
        (p) =>
          JSON.stringify(p.FunctionName) ===
            JSON.stringify({ "Fn::GetAtt": [fnId(route.function), "Arn"] }) &&
          p.Principal === "apigateway.amazonaws.com" &&
          p.SourceArn["Fn::Join"][1].at(-1) === `/*/*${route.path}`,
      );
      expect(granted, `${route.method} ${route.path}`).toBe(true);
    }
  });

  it("serves the HTTP API from one explicit $default stage with JSON access logs and throttling", () => {
    const stages = template.findResources("AWS::ApiGatewayV2::Stage", {
      Properties: { ApiId: { Ref: httpApiId() } },
    });
    expect(Object.keys(stages)).toHaveLength(1);
    const stage = Object.values(stages)[0]?.Properties;
    expect(stage).toMatchObject({
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_HTTP_THROTTLE.rateLimit,
        ThrottlingBurstLimit: DEFAULT_HTTP_THROTTLE.burstLimit,
      },
    });
    const logGroupId = (stage.AccessLogSettings.DestinationArn as { "Fn::GetAtt": [string] })[
      "Fn::GetAtt"
    ][0];
    expect(resourceById(template, logGroupId).Type).toBe("AWS::Logs::LogGroup");
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({
      requestId: "$context.requestId",
      ip: "$context.identity.sourceIp",
      routeKey: "$context.routeKey",
      status: "$context.status",
      latency: "$context.responseLatency",
    });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual(HTTP_ACCESS_LOG_FORMAT);
  });

  it("builds the WebSocket API from the manifest's routes, or none when it has no routes", () => {
    const webSocketApis = template.findResources("AWS::ApiGatewayV2::Api", {
      Properties: { ProtocolType: "WEBSOCKET" },
    });
    if (manifest.webSocket.routes.length === 0) {
      expect(webSocketApis).toEqual({});
      expect(template.toJSON().Outputs).not.toHaveProperty("WebSocketUrl");
      return;
    }
    expect(Object.keys(webSocketApis)).toEqual([webSocketApiId()]);
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "WEBSOCKET",
      RouteSelectionExpression: manifest.webSocket.routeSelectionExpression,
    });
    expect(routeKeysOf(template, webSocketApiId()).sort()).toEqual(
      manifest.webSocket.routes.map((r) => r.routeKey).sort(),
    );
    for (const route of manifest.webSocket.routes) {
      expect(functionInvokedBy(template, webSocketApiId(), route.routeKey), route.routeKey).toBe(
        fnId(route.function),
      );
    }
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      ApiId: { Ref: webSocketApiId() },
      StageName: WEBSOCKET_STAGE_NAME,
      AutoDeploy: true,
    });
  });

  it("gives every queue an encrypted, TLS-only queue and dead-letter queue with redrive", () => {
    template.resourceCountIs("AWS::SQS::Queue", 2 * queueEntries(manifest).length);
    for (const [name, spec] of queueEntries(manifest)) {
      const ids = queueIds(name);
      template.templateMatches({
        Resources: {
          [ids.queue]: {
            Properties: {
              FifoQueue: spec.fifo ? true : Match.absent(),
              SqsManagedSseEnabled: true,
              VisibilityTimeout: spec.visibilityTimeoutSeconds,
              MessageRetentionPeriod: spec.retentionDays * 86_400,
              RedrivePolicy: {
                deadLetterTargetArn: { "Fn::GetAtt": [ids.dlq, "Arn"] },
                maxReceiveCount: spec.maxReceiveCount,
              },
            },
          },
          [ids.dlq]: {
            Properties: {
              FifoQueue: spec.fifo ? true : Match.absent(),
              SqsManagedSseEnabled: true,
              MessageRetentionPeriod: spec.dlqRetentionDays * 86_400,
            },
          },
        },
      });
      for (const id of [ids.queue, ids.dlq]) {
        template.hasResourceProperties("AWS::SQS::QueuePolicy", {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: "Deny",
                Action: "sqs:*",
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              }),
            ]),
          },
        });
      }
    }
  });

  it("feeds each queue to its worker, reporting partial batch failures", () => {
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", queueEntries(manifest).length);
    for (const [name, spec] of queueEntries(manifest)) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: { "Fn::GetAtt": [queueIds(name).queue, "Arn"] },
        FunctionName: { Ref: fnId(spec.worker) },
        BatchSize: spec.batchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        MaximumBatchingWindowInSeconds:
          spec.fifo || spec.maxBatchingWindowSeconds === 0 ? Match.absent() : spec.maxBatchingWindowSeconds,
      });
    }
  });

  it("keeps each queue's visibility timeout at least 6 x its worker's timeout", () => {
    for (const [name, spec] of queueEntries(manifest)) {
      const visibility = resourceById(template, queueIds(name).queue).Properties.VisibilityTimeout as number;
      const workerTimeout = resourceById(template, fnId(spec.worker)).Properties.Timeout as number;
      expect(visibility, name).toBeGreaterThanOrEqual(MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO * workerTimeout);
    }
  });

  it("gives each worker its queue's URL and lets it receive, delete and change visibility itself", () => {
    for (const [name, spec] of queueEntries(manifest)) {
      const worker = fnId(spec.worker);
      const urlVariable = Object.entries<EnvSource>(NEEDS[CONSUME_NEED[name]].env)[0]?.[0];
      expect(urlVariable).toBeDefined();
      expect(environmentOf(template, worker)[urlVariable ?? ""]).toEqual({ Ref: queueIds(name).queue });
      const statements = statementsOfRole(template, roleOfFunction(template, worker));
      const queueArn = { "Fn::GetAtt": [queueIds(name).queue, "Arn"] };
      expect(allows(statements, "sqs:ChangeMessageVisibility", queueArn), name).toBe(true);
      expect(allows(statements, "sqs:DeleteMessage", queueArn), name).toBe(true);
    }
  });

  it("gives every function exactly the environment its defaults, settings and needs call for", () => {
    for (const [name, spec] of Object.entries(manifest.functions)) {
      const expected = new Set([
        ...Object.keys(DEFAULT_FUNCTION_ENVIRONMENT),
        "UPSTASH_REDIS_REST_URL",
        "FERRY_SECRETS_ARN",
        "RATE_LIMITS",
        "POWERTOOLS_METRICS_NAMESPACE",
        // Optional variables (the SES configuration set) are set only when the stack has a value;
        // the real manifest has the events queue, so the stack has its own configuration set.
        ...spec.needs.flatMap((need) =>
          Object.entries<EnvSource>(NEEDS[need].env)
            .filter(([, source]) => !isOptionalSource(source) || stack.emailEvents !== undefined)
            .map(([variable]) => variable),
        ),
      ]);
      const env = environmentOf(template, fnId(name));
      expect(Object.keys(env).sort(), name).toEqual([...expected].sort());
      expect(env, name).toMatchObject({
        ...DEFAULT_FUNCTION_ENVIRONMENT,
        UPSTASH_REDIS_REST_URL: TEST_SETTINGS.upstashRestUrl,
        FERRY_SECRETS_ARN: { Ref: logicalIdOf(stack, stack.secrets) },
        RATE_LIMITS: TEST_SETTINGS.rateLimits,
        // Metrics of two stages in one account never mix.
        POWERTOOLS_METRICS_NAMESPACE: stack.stackName,
      });
    }
  });

  it("lets every function read the secrets, created once with the frozen initial value", () => {
    const secretId = logicalIdOf(stack, stack.secrets);
    const secretString = resourceById(template, secretId).Properties.SecretString as string;
    expect(secretString).toBe(INITIAL_SECRET_VALUE);
    for (const name of Object.keys(manifest.functions)) {
      const statements = statementsOfRole(template, roleOfFunction(template, fnId(name)));
      expect(allows(statements, "secretsmanager:GetSecretValue", { Ref: secretId }), name).toBe(true);
    }
  });

  /** The template value each symbolic resource of the need table must resolve to. */
  const resourceMatches = (resource: ResourceRef, statementResource: unknown): boolean => {
    const text = JSON.stringify(statementResource);
    switch (resource.kind) {
      case "queue":
        return text === JSON.stringify({ "Fn::GetAtt": [queueIds(resource.queue).queue, "Arn"] });
      case "sesSend":
        return text.includes(":identity/*");
      case "webSocketConnections":
        return (
          text.includes(JSON.stringify({ Ref: webSocketApiId() })) &&
          text.includes(`/${WEBSOCKET_STAGE_NAME}/POST/@connections/*`)
        );
    }
  };
  const granted = (name: string, action: string, resource: ResourceRef): boolean =>
    statementsOfRole(template, roleOfFunction(template, fnId(name))).some(
      (s) =>
        s.Effect === "Allow" &&
        [s.Action].flat().includes(action) &&
        [s.Resource].flat().some((r) => resourceMatches(resource, r)),
    );

  it("grants each function every action of its needs, and no action of a need it lacks", () => {
    for (const [name, spec] of Object.entries(manifest.functions)) {
      const declared = new Set<FunctionNeed>(spec.needs);
      const grantedByDeclared = (action: string, resource: ResourceRef) =>
        [...declared].some((need) =>
          NEEDS[need].grants.some(
            (g) =>
              (g.actions as readonly string[]).includes(action) &&
              JSON.stringify(g.resource) === JSON.stringify(resource),
          ),
        );
      for (const need of FUNCTION_NEEDS) {
        for (const grant of NEEDS[need].grants) {
          const resolvable = grant.resource.kind !== "queue" || manifest.queues[grant.resource.queue];
          if (!resolvable) continue;
          for (const action of grant.actions) {
            expect(granted(name, action, grant.resource), `${name} ${need} ${action}`).toBe(
              grantedByDeclared(action, grant.resource),
            );
          }
        }
      }
    }
  });

  it("lets email senders send from Ferry's sender only, to any identity SES checks", () => {
    for (const [name, spec] of Object.entries(manifest.functions)) {
      if (!spec.needs.includes("ses:send")) continue;
      const statements = statementsOfRole(template, roleOfFunction(template, fnId(name)));
      const send = statements.filter((s) => [s.Action].flat().includes("ses:SendEmail"));
      expect(send, name).toHaveLength(1);
      // Any identity SES checks, and the stack's own configuration set, which every send names.
      expect(send[0]?.Resource, name).toEqual([configurationSetArn(stack), sesArn("identity/*")]);
      expect(send[0]?.Condition, name).toEqual({
        StringEquals: { "ses:FromAddress": TEST_SETTINGS.emailFrom },
      });
    }
  });

  it("resolves each need's variables to the resource the stack built for it", () => {
    for (const [name, spec] of Object.entries(manifest.functions)) {
      const env = environmentOf(template, fnId(name));
      for (const need of spec.needs) {
        for (const [variable, source] of Object.entries<EnvSource>(NEEDS[need].env)) {
          const value = JSON.stringify(env[variable]);
          switch (source.kind) {
            case "queueUrl":
              expect(env[variable], `${name} ${variable}`).toEqual({ Ref: queueIds(source.queue).queue });
              break;
            case "emailFrom":
              expect(env[variable], `${name} ${variable}`).toBe(TEST_SETTINGS.emailFrom);
              break;
            case "webSocketCallbackUrl":
              expect(value).toMatch(/^\{"Fn::Join":\["",\["https:\/\//);
              expect(value).toContain(JSON.stringify({ Ref: webSocketApiId() }));
              expect(value).toContain(`"/${WEBSOCKET_STAGE_NAME}"`);
              break;
            case "webSocketPublicUrl":
              expect(value).toMatch(/^\{"Fn::Join":\["",\["wss:\/\//);
              expect(value).toContain(JSON.stringify({ Ref: webSocketApiId() }));
              break;
            case "sesConfigurationSet":
              // The stack's own configuration set (its events are how deliveries reach the tasks).
              expect(env[variable], `${name} ${variable}`).toEqual(configurationSetRef(stack));
              break;
          }
        }
      }
    }
  });

  it("alarms on every dead-letter queue and every function, notifying the alarm topic", () => {
    const topic = { Ref: logicalIdOf(stack, stack.alarms.topic) };
    template.resourceCountIs(
      "AWS::CloudWatch::Alarm",
      // + the five deployment-problem alarms (test/infra/observability.test.ts) and the five of
      // account health (bounce and complaint rates, Ferry's and SES's, and the reputation pause).
      queueEntries(manifest).length + Object.keys(manifest.functions).length + 10,
    );
    for (const [name] of queueEntries(manifest)) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queueIds(name).dlq, "QueueName"] } }],
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
        AlarmActions: [topic],
      });
    }
    for (const name of Object.keys(manifest.functions)) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: fnId(name) } }],
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
        AlarmActions: [topic],
      });
    }
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: TEST_SETTINGS.alarmEmail,
      TopicArn: topic,
    });
  });

  it("outputs the API URLs (no trailing slash), the DLQ names and the secret to fill in", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // The API's own endpoint attribute: https://{api}.execute-api.{region}.amazonaws.com, no "/".
    expect(outputs.HttpApiUrl?.Value).toEqual({ "Fn::GetAtt": [httpApiId(), "ApiEndpoint"] });
    for (const [name] of queueEntries(manifest)) {
      const key = `${name[0]?.toUpperCase()}${name.slice(1)}DeadLetterQueueName`;
      expect(outputs[key]?.Value).toEqual({ "Fn::GetAtt": [queueIds(name).dlq, "QueueName"] });
    }
    expect(outputs.SecretsArn?.Value).toEqual({ Ref: logicalIdOf(stack, stack.secrets) });
    if (manifest.webSocket.routes.length > 0) {
      const url = JSON.stringify(outputs.WebSocketUrl?.Value);
      expect(url).toMatch(/^\{"Fn::Join":\["",\["wss:\/\//);
      expect(url).toContain(JSON.stringify({ Ref: webSocketApiId() }));
    }
  });
});

describe("FerryStack with WebSocket access logs turned on", () => {
  it("logs every WebSocket event as JSON to a log group with a retention", () => {
    // Prepare / Act
    const { stack, template } = buildStack({ webSocketAccessLogs: true });

    // Assess
    const apiId = logicalIdOf(stack, stack.webSocketApi?.api ?? stack);
    const stage = Object.values(
      template.findResources("AWS::ApiGatewayV2::Stage", { Properties: { ApiId: { Ref: apiId } } }),
    )[0]?.Properties;
    const logGroupId = (stage.AccessLogSettings.DestinationArn as { "Fn::GetAtt": [string] })[
      "Fn::GetAtt"
    ][0];
    expect(resourceById(template, logGroupId).Properties.RetentionInDays).toBe(30);
    expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual(WEBSOCKET_ACCESS_LOG_FORMAT);
    expect(WEBSOCKET_ACCESS_LOG_FORMAT).toMatchObject({
      requestId: "$context.requestId",
      ip: "$context.identity.sourceIp",
      routeKey: "$context.routeKey",
      connectionId: "$context.connectionId",
      status: "$context.status",
    });
  });

  it("leaves WebSocket access logs off by default", () => {
    // Prepare / Act
    const { stack, template } = buildStack();

    // Assess
    const apiId = logicalIdOf(stack, stack.webSocketApi?.api ?? stack);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      ApiId: { Ref: apiId },
      AccessLogSettings: Match.absent(),
    });
  });
});

describe("FerryStack without an alarm email", () => {
  it("creates the alarm topic without subscriptions", () => {
    // Prepare / Act
    const { template } = buildStack({ alarmEmail: undefined });

    // Assess
    template.resourceCountIs("AWS::SNS::Topic", 1);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
  });
});

/** `arn:${Partition}:ses:${Region}:${AccountId}` then `rest`, joined as the template spells it. */
const sesArnJoin = (...rest: unknown[]) => ({
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":ses:",
      { Ref: "AWS::Region" },
      ":",
      { Ref: "AWS::AccountId" },
      ...rest,
    ],
  ],
});

/** `arn:${Partition}:ses:${Region}:${AccountId}:<resource>` as the template spells it. */
const sesArn = (resource: string) => sesArnJoin(`:${resource}`);

/** `{Ref: <the stack's configuration set>}`: its name, as the template spells it. */
function configurationSetRef(stack: FerryStack) {
  const set = stack.emailEvents?.configurationSet;
  if (!set) throw new Error("the stack has no configuration set");
  return { Ref: logicalIdOf(stack, set) };
}

/** The configuration set's ARN as need-wiring.ts writes it (formatArn around its Ref). */
function configurationSetArn(stack: FerryStack) {
  return sesArnJoin(":configuration-set/", configurationSetRef(stack));
}

describe("FerryStack's SES configuration set and its events", () => {
  const emailSenders = (stack: FerryStack) =>
    Object.entries(stack.functions).filter(([, fn]) => fn.spec.needs.includes("ses:send"));
  let stack: FerryStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = buildStack());
  });
  const fnId = (name: string): string => logicalIdOf(stack, stack.functions[name] as Construct);
  const queueIds = (name: QueueName) => {
    const queue = stack.queues[name];
    if (!queue) throw new Error(`no queue ${name}`);
    return { queue: logicalIdOf(stack, queue.queue), dlq: logicalIdOf(stack, queue.deadLetterQueue) };
  };

  it("sends every email with its own configuration set, granted on it, under the name given", () => {
    // Prepare / Act
    const named = buildStack({ sesConfigurationSet: "ferry-events" });

    // Assess
    named.template.hasResourceProperties("AWS::SES::ConfigurationSet", { Name: "ferry-events" });
    for (const [name, fn] of emailSenders(named.stack)) {
      const id = logicalIdOf(named.stack, fn);
      expect(environmentOf(named.template, id).SES_CONFIGURATION_SET, name).toEqual(
        configurationSetRef(named.stack),
      );
    }
    expect(emailSenders(stack).length).toBeGreaterThan(0);
    for (const [name, fn] of emailSenders(stack)) {
      const id = logicalIdOf(stack, fn);
      const statements = statementsOfRole(template, roleOfFunction(template, id));
      expect(allows(statements, "ses:SendEmail", configurationSetArn(stack)), name).toBe(true);
      expect(environmentOf(template, id).SES_CONFIGURATION_SET).toEqual(configurationSetRef(stack));
    }
  });

  it("suppresses bounces and complaints at SES too, and keeps SES's reputation metrics", () => {
    template.hasResourceProperties("AWS::SES::ConfigurationSet", {
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });

  it("publishes the seven lifecycle events to EventBridge's default bus", () => {
    template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      ConfigurationSetName: configurationSetRef(stack),
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: [
          "send",
          "delivery",
          "bounce",
          "complaint",
          "deliveryDelay",
          "reject",
          "renderingFailure",
        ],
        EventBridgeDestination: { EventBusArn: Match.objectLike({ "Fn::Join": Match.anyValue() }) },
      },
    });
    const destination = Object.values(
      template.findResources("AWS::SES::ConfigurationSetEventDestination"),
    )[0];
    expect(JSON.stringify(destination)).toContain(":event-bus/default");
  });

  it("routes only this configuration set's SES events to the events queue, which has a DLQ", () => {
    const events = queueIds("events");
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.ses"],
        "detail-type": Object.values(SES_DETAIL_TYPES),
        detail: { mail: { tags: { "ses:configuration-set": [configurationSetRef(stack)] } } },
      },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [events.queue, "Arn"] } })],
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [events.dlq, "Arn"] }, maxReceiveCount: 5 },
    });
    // EventBridge may send to the queue for this rule only.
    const rule = logicalIdOf(stack, stack.emailEvents?.rule as Construct);
    const policies = JSON.stringify(template.findResources("AWS::SQS::QueuePolicy"));
    expect(policies).toContain("events.amazonaws.com");
    expect(policies).toContain(JSON.stringify({ "Fn::GetAtt": [rule, "Arn"] }));
  });

  it("lets the events worker consume the events queue and push to WebSocket clients, and nothing else", () => {
    const worker = fnId("deliveryEventsWorker");
    const statements = statementsOfRole(template, roleOfFunction(template, worker));
    const events = { "Fn::GetAtt": [queueIds("events").queue, "Arn"] };
    expect(allows(statements, "sqs:ReceiveMessage", events)).toBe(true);
    expect(JSON.stringify(statements)).not.toContain("ses:SendEmail");
    expect(JSON.stringify(statements)).not.toContain("sqs:SendMessage");
  });
});
