/**
 * One CloudWatch dashboard per stack (named after it): emails through SES, webhooks, the rate
 * limiter, both breakers and configuration, the queues and their DLQs, each function's errors
 * and throttles, and every alarm's state.
 */
import { Aws, Duration, Stack } from "aws-cdk-lib";
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC } from "#shared/metrics/metrics.ts";
import { ferryMetric } from "./ferry-metrics.ts";

export interface FerryDashboardProps {
  /** The metrics namespace (the stack name). */
  readonly namespace: string;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly queues: Readonly<Record<string, { readonly queue: IQueue; readonly deadLetterQueue: IQueue }>>;
  readonly alarms: readonly IAlarm[];
}

export class FerryDashboard extends Construct {
  readonly dashboard: Dashboard;
  /** The console link (the DashboardUrl output). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: FerryDashboardProps) {
    super(scope, id);
    const name = Stack.of(this).stackName;
    const m = (metric: Parameters<typeof ferryMetric>[1], label?: string, statistic?: string) =>
      ferryMetric(props.namespace, metric, {
        ...(label ? { label } : {}),
        ...(statistic ? { statistic } : {}),
      });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 12, height: 6 });
    const perFunction = (metric: (fn: IFunction, label: string) => IMetric) =>
      Object.entries(props.functions).map(([fnName, fn]) => metric(fn, fnName));

    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: name,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${name}\nEmails, webhooks, rate limiting and queues. Runbook: README, "Troubleshooting".`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        "Emails",
        [
          m(METRIC.emailsAccepted, "accepted"),
          m(METRIC.emailsSent, "sent"),
          m(METRIC.emailsRetried, "retried"),
          m(METRIC.emailsFailed, "failed"),
        ],
        [m("SesAccessDenied", "SES access denied")],
      ),
      graph("SES latency (ms)", [
        m(METRIC.sesLatency, "p50", "p50"),
        m(METRIC.sesLatency, "p99", "p99"),
        m(METRIC.sesLatency, "max", "Maximum"),
      ]),
    );
    this.dashboard.addWidgets(
      graph("Webhooks", [m(METRIC.webhooksAccepted, "accepted"), m(METRIC.webhooksRejected, "rejected")]),
      graph(
        "Rate limiting",
        [m(METRIC.rateLimitAllowed, "allowed"), m(METRIC.rateLimitDenied, "denied")],
        [m(METRIC.rateLimitFallback, "decided without Redis")],
      ),
    );
    this.dashboard.addWidgets(
      graph("Breakers and configuration", [
        m(METRIC.sesCircuitOpened, "SES circuit opened"),
        m(METRIC.sesCircuitHeld, "held by the SES circuit"),
        m(METRIC.rateLimitBreakerOpened, "limiter breaker opened"),
        m(METRIC.configurationIncomplete, "configuration incomplete"),
      ]),
      graph(
        "Queues",
        Object.entries(props.queues).map(([q, { queue }]) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: `${q} visible`, statistic: "Maximum" }),
        ),
        Object.entries(props.queues).map(([q, { deadLetterQueue }]) =>
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: `${q} DLQ`,
            statistic: "Maximum",
          }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        "Delivery (SES events)",
        [
          m(METRIC.deliveryEvents, "recipient state changes"),
          m(METRIC.emailsBounced, "hard bounces"),
          m(METRIC.emailsComplained, "complaints"),
          m(METRIC.recipientsSuppressed, "suppressed"),
          m(METRIC.suppressedRecipientsRefused, "skipped at POST"),
        ],
        [m(METRIC.reputationPaused, "paused for reputation")],
      ),
      graph("Account health (%)", [
        m(METRIC.bounceRate, "bounce rate", "Maximum"),
        m(METRIC.complaintRate, "complaint rate", "Maximum"),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        "Function errors",
        perFunction((fn, label) => fn.metricErrors({ statistic: "Sum", label })),
      ),
      graph(
        "Function throttles",
        perFunction((fn, label) => fn.metricThrottles({ statistic: "Sum", label })),
      ),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: 24 }),
    );
    this.url = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${name}`;
  }
}
