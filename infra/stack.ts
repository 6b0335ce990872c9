/**
 * FerryStack: everything Ferry deploys, built from the app manifest. Routes, WebSocket routes,
 * queues and each function's needs are read from the manifest and never restated here, so the
 * deployed system and the local runtime cannot drift apart.
 */
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Token } from "aws-cdk-lib";
import { Metric } from "aws-cdk-lib/aws-cloudwatch";
import { FilterPattern, MetricFilter } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { AppManifest, QueueName } from "#shared/app/manifest.ts";
import { manifestProblems } from "#shared/app/validate.ts";
import { SECRET_KEYS } from "#shared/config.ts";
import { METRIC } from "#shared/metrics/metrics.ts";
import { FerryAlarms } from "./constructs/ferry-alarms.ts";
import { FerryDashboard } from "./constructs/ferry-dashboard.ts";
import { FerryEmailEvents } from "./constructs/ferry-email-events.ts";
import { FerryFunction } from "./constructs/ferry-function.ts";
import { FerryHttpApi, type ThrottleLimits } from "./constructs/ferry-http-api.ts";
import { ferryMetric } from "./constructs/ferry-metrics.ts";
import { FerryQueue } from "./constructs/ferry-queue.ts";
import { FerryWebSocketApi } from "./constructs/ferry-websocket-api.ts";
import { wireNeeds } from "./constructs/need-wiring.ts";
import { constructId, InvalidStackInputError } from "./constructs/stack-input.ts";
import { acknowledgeNagFindings } from "./nag-acknowledgements.ts";
import { settingProblems } from "./settings.ts";

/** Re-exported: the secret's keys are the contract between this stack and shared/config.ts. */
export { SECRET_KEYS } from "#shared/config.ts";

/**
 * The secret's value when CloudFormation creates it, and its description: written once, never
 * changed (changing either would make CloudFormation overwrite the live secret). They are the
 * strings the first Ferry stacks were deployed with, so those stacks see no change either.
 * Not derived from SECRET_KEYS on purpose: a key added there must not touch the template.
 */
export const INITIAL_SECRET_VALUE =
  '{"UPSTASH_REDIS_REST_TOKEN":"","STRIPE_WEBHOOK_SECRET":"","RAZORPAY_WEBHOOK_SECRET":"","PAYU_MERCHANT_KEY":"","PAYU_MERCHANT_SALT":""}';
export const SECRET_DESCRIPTION =
  "Ferry secrets (JSON object with UPSTASH_REDIS_REST_TOKEN, STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, PAYU_MERCHANT_KEY, PAYU_MERCHANT_SALT); fill in after the first deploy";

export const DEFAULT_HTTP_THROTTLE: ThrottleLimits = { rateLimit: 100, burstLimit: 200 };
export const DEFAULT_WEBSOCKET_THROTTLE: ThrottleLimits = { rateLimit: 50, burstLimit: 100 };

export interface FerryStackProps extends StackProps {
  /** What to build; pass `manifest` from shared/app/manifest.ts (tests pass fixtures). */
  readonly manifest: AppManifest;
  /** Sender address of every email (EMAIL_FROM). */
  readonly emailFrom: string;
  /**
   * The verified SES identity the sender belongs to: its name (domain or address) or ARN. Synth
   * checks that emailFrom belongs to it; the send grant covers the identities SES checks (the
   * sender's address and domain, sandbox recipients) for that sender only.
   */
  readonly sesIdentity: string;
  /**
   * Name of the SES configuration set the stack creates and sends every email with (granted, and
   * passed as SES_CONFIGURATION_SET); CloudFormation names it when absent.
   */
  readonly sesConfigurationSet?: string;
  /** Upstash Redis REST URL; the token goes in the Secrets Manager secret, never here. */
  readonly upstashRestUrl: string;
  /** RATE_LIMITS JSON (`{"api":{"capacity":n,"refillPerSecond":r}}`); built-in defaults when absent. */
  readonly rateLimits?: string;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
  /** LOG_LEVEL of every function. @default "INFO" (the function construct's default) */
  readonly logLevel?: string;
  /** @default DEFAULT_HTTP_THROTTLE */
  readonly httpThrottle?: ThrottleLimits;
  /** @default DEFAULT_WEBSOCKET_THROTTLE */
  readonly webSocketThrottle?: ThrottleLimits;
  /**
   * Access logs on the WebSocket stage; needs the region's API Gateway CloudWatch role to be set
   * (see FerryWebSocketApiProps.accessLogs). @default false
   */
  readonly webSocketAccessLogs?: boolean;
  /**
   * Origins a web console is served from, allowed to call the HTTP API from a browser (CORS,
   * answered by API Gateway itself). The WebSocket API needs none: browsers apply no CORS to it.
   * @default none: no CORS, browsers on other origins cannot read the API's answers
   */
  readonly consoleOrigins?: readonly string[];
  /**
   * Keys `npm run secrets` manages (named in the SecretsArn output's description only).
   * @default SECRET_KEYS
   */
  readonly secretKeys?: readonly string[];
}

export class FerryStack extends Stack {
  /** The manifest the stack was built from. */
  readonly manifest: AppManifest;
  /** Functions by manifest name. */
  readonly functions: Readonly<Record<string, FerryFunction>>;
  readonly queues: Readonly<Partial<Record<QueueName, FerryQueue>>>;
  readonly httpApi: FerryHttpApi;
  /** Absent when the manifest has no WebSocket routes (a WebSocket API without routes cannot deploy). */
  readonly webSocketApi: FerryWebSocketApi | undefined;
  readonly secrets: Secret;
  readonly alarms: FerryAlarms;
  readonly dashboard: FerryDashboard;
  /** The SES configuration set and its events' way to the events queue (absent without that queue). */
  readonly emailEvents: FerryEmailEvents | undefined;

  constructor(scope: Construct, id: string, props: FerryStackProps) {
    super(scope, id, props);
    const { manifest } = props;
    const problems = manifestProblems(manifest);
    if (problems.length > 0) throw new InvalidStackInputError(`Invalid app manifest: ${problems.join("; ")}`);
    this.manifest = manifest;
    validateSettings(props);

    this.secrets = new Secret(this, "Secrets", {
      // Both frozen: CloudFormation rewrites a secret's value whenever its template properties
      // change, which would wipe what `npm run secrets -- set` put there. New keys are added by
      // that command, never by the template (test/infra/secrets.test.ts proves it).
      description: SECRET_DESCRIPTION,
      secretStringValue: SecretValue.unsafePlainText(INITIAL_SECRET_VALUE),
      // It holds the only copy of the tokens: a destroy leaves it (npm run destroy says how to delete it).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const sharedEnvironment: Record<string, string> = {
      UPSTASH_REDIS_REST_URL: props.upstashRestUrl,
      FERRY_SECRETS_ARN: this.secrets.secretArn,
      // The metrics namespace is the stack's name: two stages in one account never mix.
      POWERTOOLS_METRICS_NAMESPACE: this.stackName,
      ...(props.rateLimits ? { RATE_LIMITS: props.rateLimits } : {}),
      ...(props.logLevel ? { LOG_LEVEL: props.logLevel } : {}),
    };
    const functions: Record<string, FerryFunction> = {};
    for (const [name, spec] of Object.entries(manifest.functions)) {
      const fn = new FerryFunction(this, `${constructId(name)}Function`, {
        spec,
        environment: sharedEnvironment,
      });
      this.secrets.grantRead(fn);
      functions[name] = fn;
    }
    this.functions = functions;
    const functionFor = (name: string): FerryFunction => {
      const fn = functions[name];
      // manifestProblems() already rejected unknown names; this guards the type, not the data.
      if (!fn) throw new InvalidStackInputError(`Unknown function "${name}"`);
      return fn;
    };

    const queues: Partial<Record<QueueName, FerryQueue>> = {};
    for (const [name, spec] of Object.entries(manifest.queues) as [
      QueueName,
      (typeof manifest.queues)[QueueName],
    ][]) {
      if (!spec) continue;
      queues[name] = new FerryQueue(this, `${constructId(name)}Queue`, {
        name,
        spec,
        worker: functionFor(spec.worker),
      });
    }
    this.queues = queues;

    const eventsQueue = queues.events;
    this.emailEvents = eventsQueue
      ? new FerryEmailEvents(this, "EmailEvents", {
          eventsQueue: eventsQueue.queue,
          ...(props.sesConfigurationSet ? { configurationSetName: props.sesConfigurationSet } : {}),
        })
      : undefined;
    // Every send uses the stack's own set when there is one (its events are how deliveries,
    // bounces and complaints reach the tasks); a fixture manifest without the events queue may
    // still name an existing set.
    const sesConfigurationSet =
      this.emailEvents?.configurationSet.configurationSetName ?? props.sesConfigurationSet;

    this.webSocketApi =
      manifest.webSocket.routes.length > 0
        ? new FerryWebSocketApi(this, "WebSocket", {
            routeSelectionExpression: manifest.webSocket.routeSelectionExpression,
            routes: manifest.webSocket.routes,
            functionFor,
            throttle: props.webSocketThrottle ?? DEFAULT_WEBSOCKET_THROTTLE,
            accessLogs: props.webSocketAccessLogs ?? false,
          })
        : undefined;

    for (const fn of Object.values(functions)) {
      wireNeeds(fn, fn.spec.needs, {
        stack: this,
        queues,
        webSocketApi: this.webSocketApi,
        emailFrom: props.emailFrom,
        ...(sesConfigurationSet ? { sesConfigurationSet } : {}),
      });
    }

    this.httpApi = new FerryHttpApi(this, "Http", {
      routes: manifest.http.routes,
      functionFor,
      fallback: functionFor(manifest.http.fallback),
      throttle: props.httpThrottle ?? DEFAULT_HTTP_THROTTLE,
      corsOrigins: props.consoleOrigins ?? [],
    });

    this.alarms = new FerryAlarms(this, "Alarms", props.alarmEmail ? { alarmEmail: props.alarmEmail } : {});
    for (const [name, queue] of Object.entries(queues)) {
      this.alarms.alarmOnDeadLetters(constructId(name), queue.deadLetterQueue, name);
    }
    for (const [name, fn] of Object.entries(functions)) {
      this.alarms.alarmOnErrors(constructId(name), fn, name);
    }
    this.alarmOnDeploymentProblems(functions);
    this.dashboard = new FerryDashboard(this, "Dashboard", {
      namespace: this.stackName,
      functions,
      queues: queues as Record<string, FerryQueue>,
      alarms: this.alarms.all,
    });

    // URLs without a trailing slash, so `${url}/v1/emails` is right (the stage URL ends in "/").
    new CfnOutput(this, "HttpApiUrl", {
      value: this.httpApi.api.apiEndpoint,
      description: "Base URL of the HTTP API",
    });
    if (this.webSocketApi) {
      new CfnOutput(this, "WebSocketUrl", {
        value: this.webSocketApi.url,
        description: "wss:// URL of the WebSocket API",
      });
    }
    new CfnOutput(this, "SecretsArn", {
      value: this.secrets.secretArn,
      description: `Secret holding ${(props.secretKeys ?? SECRET_KEYS).join(", ")}: fill it with npm run secrets -- set`,
    });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
    new CfnOutput(this, "DashboardUrl", { value: this.dashboard.url, description: "CloudWatch dashboard" });
    for (const [name, queue] of Object.entries(queues)) {
      new CfnOutput(this, `${constructId(name)}QueueUrl`, { value: queue.queue.queueUrl });
      new CfnOutput(this, `${constructId(name)}DeadLetterQueueUrl`, {
        value: queue.deadLetterQueue.queueUrl,
      });
      new CfnOutput(this, `${constructId(name)}DeadLetterQueueName`, {
        value: queue.deadLetterQueue.queueName,
      });
    }

    acknowledgeNagFindings(this);
  }

  /**
   * Problems a person must fix, whatever traffic does: an incomplete configuration (the secret),
   * SES refusing the sender (IAM or identity: every email fails), decisions made without Redis,
   * and an open breaker. ses_access_denied is read from the email worker's error log line
   * (`errorCode`), which the worker writes with SES's own message kept out of the task.
   */
  private alarmOnDeploymentProblems(functions: Readonly<Record<string, FerryFunction>>): void {
    const ns = this.stackName;
    const minute = { period: Duration.minutes(1) };
    this.alarms.alarmOnMetric(
      "ConfigurationIncomplete",
      ferryMetric(ns, METRIC.configurationIncomplete, minute),
      "A function could not start: its configuration is incomplete (npm run secrets -- check)",
    );
    for (const [name, fn] of Object.entries(functions)) {
      if (!fn.spec.needs.includes("ses:send")) continue;
      new MetricFilter(this, `${constructId(name)}SesAccessDeniedFilter`, {
        logGroup: fn.logGroup,
        filterPattern: FilterPattern.stringValue("$.errorCode", "=", "ses_access_denied"),
        metricNamespace: ns,
        metricName: "SesAccessDenied",
        metricValue: "1",
        dimensions: { service: "$.service" },
      });
    }
    this.alarms.alarmOnMetric(
      "SesAccessDenied",
      ferryMetric(ns, "SesAccessDenied", minute),
      "SES refused to send (AccessDenied): the sender identity or the worker's IAM grant must be fixed",
    );
    this.alarms.alarmOnMetric(
      "RateLimitFallback",
      ferryMetric(ns, METRIC.rateLimitFallback),
      "The rate limiter decided without Redis (Upstash unreachable or too slow)",
    );
    this.alarms.alarmOnMetric(
      "RateLimitBreakerOpened",
      ferryMetric(ns, METRIC.rateLimitBreakerOpened),
      "The rate limiter's Redis breaker opened in a container",
    );
    this.alarmOnReputation();
    this.alarms.alarmOnMetric(
      "SesCircuitOpened",
      ferryMetric(ns, METRIC.sesCircuitOpened),
      "The SES circuit breaker is open: SES is throttling (sending rate or quota reached)",
    );
  }

  /**
   * Account health, below AWS's review thresholds (5 % bounces, 0.1 % complaints): Ferry's own
   * rates over REPUTATION_WINDOW_SECONDS (emitted in percent by the events worker after each bounce
   * or complaint) and SES's account-wide Reputation.* metrics (fractions, updated by SES itself),
   * plus an alarm when sending was paused for reputation (REPUTATION_PAUSE).
   */
  private alarmOnReputation(): void {
    if (!this.emailEvents) return;
    const ns = this.stackName;
    const max = { statistic: "Maximum", period: Duration.minutes(5) };
    this.alarms.alarmOnMetric(
      "BounceRate",
      ferryMetric(ns, METRIC.bounceRate, max),
      `Ferry's bounce rate reached ${REPUTATION_ALARM.bouncePercent} % (AWS reviews the account at 5 %)`,
      REPUTATION_ALARM.bouncePercent,
    );
    this.alarms.alarmOnMetric(
      "ComplaintRate",
      ferryMetric(ns, METRIC.complaintRate, max),
      `Ferry's complaint rate reached ${REPUTATION_ALARM.complaintPercent} % (AWS reviews the account at 0.1 %)`,
      REPUTATION_ALARM.complaintPercent,
    );
    const ses = (metricName: string) =>
      new Metric({ namespace: "AWS/SES", metricName, statistic: "Maximum", period: Duration.hours(1) });
    this.alarms.alarmOnMetric(
      "SesReputationBounceRate",
      ses("Reputation.BounceRate"),
      `SES's account bounce rate reached ${REPUTATION_ALARM.bouncePercent} % (review at 5 %)`,
      REPUTATION_ALARM.bouncePercent / 100,
    );
    this.alarms.alarmOnMetric(
      "SesReputationComplaintRate",
      ses("Reputation.ComplaintRate"),
      `SES's account complaint rate reached ${REPUTATION_ALARM.complaintPercent} % (review at 0.1 %)`,
      REPUTATION_ALARM.complaintPercent / 100,
    );
    this.alarms.alarmOnMetric(
      "ReputationPaused",
      ferryMetric(ns, METRIC.reputationPaused),
      "Sending is paused: a bounce or complaint rate reached its limit (REPUTATION_PAUSE)",
    );
  }
}

/** Alarm thresholds, in percent: a margin below AWS's review thresholds (5 % and 0.1 %). */
export const REPUTATION_ALARM = { bouncePercent: 4, complaintPercent: 0.08 } as const;

/**
 * Checks deploy settings with the same schema the functions parse at cold start (infra/settings.ts),
 * so a bad value fails `cdk synth` instead of every invocation. Tokens (e.g. CfnParameters) are
 * checked by no one until deploy, so they are skipped.
 */
function validateSettings(props: FerryStackProps): void {
  const problems = settingProblems(
    {
      emailFrom: props.emailFrom,
      sesIdentity: props.sesIdentity,
      upstashRestUrl: props.upstashRestUrl,
      rateLimits: props.rateLimits,
      alarmEmail: props.alarmEmail,
      consoleOrigins: props.consoleOrigins?.join(","),
    },
    (v) => Token.isUnresolved(v),
  );
  if (!props.emailFrom) problems.push("emailFrom (EMAIL_FROM): is required");
  if (!props.upstashRestUrl) problems.push("upstashRestUrl (UPSTASH_REDIS_REST_URL): is required");
  if (!props.sesIdentity) problems.push("sesIdentity: is required");
  if (problems.length > 0)
    throw new InvalidStackInputError(`Invalid FerryStack settings: ${problems.join("; ")}`);
}
