/**
 * Ferry's business metrics, as CloudWatch EMF lines (Powertools Metrics): each is published the
 * moment it is counted (a single-metric line), so no handler needs a flush step and a metric
 * counted just before a crash is not lost. Namespace: POWERTOOLS_METRICS_NAMESPACE (the stack
 * sets its own name, so two stages never mix), dimension `service`; a metric with a reason also
 * carries a second dimension set {service, reason}, so alarms read the total and the dashboard
 * the breakdown. The stack's dashboard and alarms (infra/constructs/) read these names.
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export const METRIC = {
  /** POST /v1/emails answered 202. */
  emailsAccepted: "EmailsAccepted",
  /** SES accepted an email (task succeeded). */
  emailsSent: "EmailsSent",
  /** A send failed transiently and will be retried (task retrying). */
  emailsRetried: "EmailsRetried",
  /** A task failed for good; reason = its error code (ses_access_denied, retries_exhausted…). */
  emailsFailed: "EmailsFailed",
  /** Milliseconds of one SES SendEmail call, answered or not. */
  sesLatency: "SesLatency",
  /** The SES circuit breaker opened (throttles across workers). */
  sesCircuitOpened: "SesCircuitOpened",
  /** A message held back by an open SES circuit. */
  sesCircuitHeld: "SesCircuitHeld",
  /** An SES event changed a recipient's delivery state; reason = the new state (delivered, bounced…). */
  deliveryEvents: "DeliveryEvents",
  /** A recipient counted once as a permanent bounce (the account's bounce rate). */
  emailsBounced: "EmailsBounced",
  /** A recipient counted once as a complaint (the account's complaint rate). */
  emailsComplained: "EmailsComplained",
  /** An address put on the suppression list; reason = bounce | complaint. */
  recipientsSuppressed: "RecipientsSuppressed",
  /** POST /v1/emails skipped a suppressed recipient (`suppressed: "skip"`). */
  suppressedRecipientsRefused: "SuppressedRecipientsRefused",
  /** Hard bounces / recipients sent over REPUTATION_WINDOW_SECONDS, in percent (after each count). */
  bounceRate: "BounceRate",
  /** Complaints / recipients sent over REPUTATION_WINDOW_SECONDS, in percent (after each count). */
  complaintRate: "ComplaintRate",
  /** Sending was paused because a rate reached its limit (REPUTATION_PAUSE). */
  reputationPaused: "ReputationPaused",
  webhooksAccepted: "WebhooksAccepted",
  /** reason = the problem type slug (bad-signature, stale-timestamp…). */
  webhooksRejected: "WebhooksRejected",
  rateLimitAllowed: "RateLimitAllowed",
  rateLimitDenied: "RateLimitDenied",
  /** Decided without Redis (an outage or the limiter's breaker open). */
  rateLimitFallback: "RateLimitFallback",
  /** The rate limiter's Redis breaker opened in a container. */
  rateLimitBreakerOpened: "RateLimitBreakerOpened",
  /** A function could not start: its configuration (often the secret) is incomplete. */
  configurationIncomplete: "ConfigurationIncomplete",
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const DEFAULT_NAMESPACE = "Ferry";

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || "ferry",
});

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * One line per metric from the one instance: add, then publish at once (which clears the metric
 * and the dimension sets, keeping the service). Not `singleMetric()`: it builds a new Metrics (env
 * reads, a new Console) per call, which profiled at ~8 % of createEmail's CPU under load
 * (BENCHMARKS.md); the line printed is the same.
 */
function publish(name: MetricName, unit: Unit, value: number, reason?: string): void {
  try {
    if (reason) {
      // Two dimension sets on one line: {service} (the total alarms read) and {service, reason}.
      metrics.addDimensions({});
      metrics.addDimensions({ reason });
    }
    metrics.addMetric(name, unit, value);
    metrics.publishStoredMetrics();
  } catch {
    // A metric must never fail the work it describes; nothing half-added may reach the next line.
    metrics.clearMetrics();
    metrics.clearDimensions();
  }
}

/** Counts one occurrence (or `value`); `reason` adds the {service, reason} breakdown. */
export function countMetric(name: MetricName, options: { reason?: string; value?: number } = {}): void {
  publish(name, MetricUnit.Count, options.value ?? 1, options.reason);
}

export function percentMetric(name: MetricName, percent: number): void {
  publish(name, MetricUnit.Percent, Math.max(0, percent));
}

export function millisecondsMetric(name: MetricName, ms: number): void {
  publish(name, MetricUnit.Milliseconds, Math.max(0, Math.round(ms)));
}
