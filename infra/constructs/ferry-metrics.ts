/**
 * The CloudWatch side of shared/metrics/metrics.ts: the metrics the functions emit as EMF, in the
 * stack's namespace (POWERTOOLS_METRICS_NAMESPACE = the stack name) with the {service} dimension
 * set every line carries. The dashboard and the alarms both read them from here.
 */
import { Duration } from "aws-cdk-lib";
import { Metric } from "aws-cdk-lib/aws-cloudwatch";
import { DEFAULT_FUNCTION_ENVIRONMENT } from "#infra/function-environment.ts";
import type { MetricName } from "#shared/metrics/metrics.ts";

export interface FerryMetricOptions {
  /** @default "Sum" */
  readonly statistic?: string;
  /** @default 5 minutes */
  readonly period?: Duration;
  readonly label?: string;
}

export function ferryMetric(
  namespace: string,
  name: MetricName | "SesAccessDenied",
  options: FerryMetricOptions = {},
): Metric {
  return new Metric({
    namespace,
    metricName: name,
    dimensionsMap: { service: DEFAULT_FUNCTION_ENVIRONMENT.POWERTOOLS_SERVICE_NAME ?? "ferry" },
    statistic: options.statistic ?? "Sum",
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}
