/**
 * Operational alarms: a message in any dead-letter queue, any function error, and the metrics
 * that mean the deployment itself needs a person (configuration incomplete, SES access denied,
 * Redis fallbacks, an open breaker). Each fires on the first occurrence and notifies one SNS topic.
 */
import { Duration } from "aws-cdk-lib";
import { type Alarm, ComparisonOperator, type Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface FerryAlarmsProps {
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
}

export class FerryAlarms extends Construct {
  readonly topic: Topic;
  /** Every alarm made here, in order (the dashboard shows their state). */
  readonly all: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: FerryAlarmsProps = {}) {
    super(scope, id);
    this.topic = new Topic(this, "Topic", { displayName: "Ferry alarms", enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
  }

  /** Alarms as soon as one message is visible in `deadLetterQueue`. */
  alarmOnDeadLetters(id: string, deadLetterQueue: IQueue, queueName: string): Alarm {
    const alarm = deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" })
      .createAlarm(this, `${id}DeadLettersAlarm`, {
        alarmDescription: `Messages of the ${queueName} queue reached its dead-letter queue`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    return this.#notify(alarm);
  }

  /** Alarms as soon as `metric` (a count) reaches `threshold` within its period. */
  alarmOnMetric(id: string, metric: Metric, description: string, threshold = 1): Alarm {
    const alarm = metric.createAlarm(this, `${id}Alarm`, {
      alarmDescription: description,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return this.#notify(alarm);
  }

  #notify(alarm: Alarm): Alarm {
    alarm.addAlarmAction(this.action);
    this.all.push(alarm);
    return alarm;
  }

  /** Alarms on any invocation error of `fn` within a minute. */
  alarmOnErrors(id: string, fn: IFunction, functionName: string): Alarm {
    const alarm = fn
      .metricErrors({ period: Duration.minutes(1), statistic: "Sum" })
      .createAlarm(this, `${id}ErrorsAlarm`, {
        alarmDescription: `The ${functionName} function reported errors`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    return this.#notify(alarm);
  }
}
