/**
 * The stack's dashboard and the alarms on deployment problems read the very metrics the functions
 * emit (shared/metrics/metrics.ts): same namespace (the stack's name, also each function's
 * POWERTOOLS_METRICS_NAMESPACE), same names, the {service} dimension every EMF line carries.
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_FUNCTION_ENVIRONMENT } from "#infra/function-environment.ts";
import type { FerryStack } from "#infra/stack.ts";
import { METRIC } from "#shared/metrics/metrics.ts";
import { buildStack, logicalIdOf } from "#test/infra/support/build-stack.ts";
import { environmentOf, resourcesOfType } from "#test/infra/support/template-queries.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

let stack: FerryStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = buildStack());
});

const topicRef = () => ({ Ref: logicalIdOf(stack, stack.alarms.topic) });

function alarmOn(metricName: string) {
  const alarms = Object.values(resourcesOfType(template, "AWS::CloudWatch::Alarm")).filter(
    (a) => a.Properties.MetricName === metricName,
  );
  expect(alarms, metricName).toHaveLength(1);
  return alarms[0]?.Properties ?? {};
}

describe("alarms on deployment problems", () => {
  it.each([
    METRIC.configurationIncomplete,
    "SesAccessDenied",
    METRIC.rateLimitFallback,
    METRIC.rateLimitBreakerOpened,
    METRIC.sesCircuitOpened,
  ])("alarms on the first %s, in the stack's namespace, to the alarm topic", (metricName) => {
    const alarm = alarmOn(metricName);

    expect(alarm).toMatchObject({
      Namespace: stack.stackName,
      Dimensions: [{ Name: "service", Value: DEFAULT_FUNCTION_ENVIRONMENT.POWERTOOLS_SERVICE_NAME }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [topicRef()],
    });
  });

  it("counts ses_access_denied from the email worker's log field errorCode", () => {
    const worker = stack.functions.emailWorker;
    if (!worker) throw new Error("no emailWorker");
    const logGroup = logicalIdOf(stack, worker.logGroup);

    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      LogGroupName: { Ref: logGroup },
      FilterPattern: Match.stringLikeRegexp('\\$\\.errorCode\\s*=\\s*"ses_access_denied"'),
      MetricTransformations: [
        Match.objectLike({
          MetricNamespace: stack.stackName,
          MetricName: "SesAccessDenied",
          MetricValue: "1",
        }),
      ],
    });
  });

  it("emits to the namespace the alarms read: each function's POWERTOOLS_METRICS_NAMESPACE", () => {
    for (const fn of Object.values(stack.functions)) {
      expect(environmentOf(template, logicalIdOf(stack, fn)).POWERTOOLS_METRICS_NAMESPACE).toBe(
        stack.stackName,
      );
    }
  });
});

describe("the dashboard", () => {
  it("is named after the stack and charts every Ferry metric, each queue and DLQ, and the alarms", () => {
    const dashboards = Object.values(resourcesOfType(template, "AWS::CloudWatch::Dashboard"));
    expect(dashboards).toHaveLength(1);
    const dashboard = dashboards[0]?.Properties ?? {};
    const body = JSON.stringify(dashboard.DashboardBody);

    expect(dashboard.DashboardName).toBe(stack.stackName);
    for (const name of [...Object.values(METRIC), "SesAccessDenied"]) {
      expect(body, name).toContain(`\\"${name}\\"`);
    }
    expect(body).toContain(`\\"${stack.stackName}\\"`);
    for (const queue of Object.values(stack.queues)) {
      if (!queue) continue;
      expect(body).toContain(
        JSON.stringify({ "Fn::GetAtt": [logicalIdOf(stack, queue.deadLetterQueue), "QueueName"] }),
      );
    }
    for (const alarm of stack.alarms.all) {
      expect(body).toContain(JSON.stringify({ "Fn::GetAtt": [logicalIdOf(stack, alarm), "Arn"] }));
    }
  });

  it("is linked from the DashboardUrl output", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain(`#dashboards:name=${stack.stackName}`);
  });
});
