import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascalCase } from '#infra/constructs/handler-functions.ts';
import { businessMetrics, metricsNamespace, powertoolsServiceName } from '#functions/catalog.ts';

export interface MonitoringProps {
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly workflows: ReadonlyMap<string, StateMachine>;
  readonly intakeRule: Rule;
  readonly deadLetterQueue: IQueue;
  readonly api: IHttpApi;
  /** Gets the alarm notifications (the admin's address). */
  readonly alarmEmail: string;
  /** Encrypts the alarm topic. */
  readonly key: IKey;
}

const period = Duration.minutes(5);

/**
 * A business metric as the handlers emit it (functions/metrics.ts): Powertools adds the service
 * as a dimension to every point, beside the point's own.
 */
function business(
  name: (typeof businessMetrics)[keyof typeof businessMetrics]['name'],
  statistic: string,
  dimensions: Record<string, string> = {},
  label?: string,
): Metric {
  return new Metric({
    namespace: metricsNamespace,
    metricName: name,
    dimensionsMap: { service: powertoolsServiceName, ...dimensions },
    period,
    statistic,
    ...(label ? { label } : {}),
  });
}

/** Every series of a business metric across one dimension's values (rejection reasons, gates). */
function byDimension(name: string, dimension: string, statistic: string, label: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${metricsNamespace},${dimension},service} MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
    label,
    period,
  });
}

/** Alarms on anything that means a claim is stuck or lost, and one dashboard. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Claims processor alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    // Every alarm fires on the first occurrence: one failed claim is already an operator's job.
    const alarm = (alarmId: string, metric: IMetric, description: string): Alarm => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(a);
      return a;
    };

    for (const [name, machine] of props.workflows) {
      const id = pascalCase(name);
      alarm(
        `${id}Failed`,
        machine.metricFailed({ period, statistic: 'Sum' }),
        `${name}: an execution failed (a claim is in ERROR)`,
      );
      alarm(
        `${id}TimedOut`,
        machine.metricTimedOut({ period, statistic: 'Sum' }),
        `${name}: an execution timed out`,
      );
    }
    alarm(
      'IntakeDeadLetters',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'intake: a manifest event could not start assess-claim and is in the DLQ',
    );
    const ruleMetric = (metricName: string) =>
      new Metric({
        namespace: 'AWS/Events',
        metricName,
        dimensionsMap: { RuleName: props.intakeRule.ruleName },
        period,
        statistic: 'Sum',
      });
    const failedInvocations = ruleMetric('FailedInvocations');
    alarm('IntakeFailedInvocations', failedInvocations, 'intake: EventBridge failed to start assess-claim');
    for (const [name, fn] of props.functions) {
      alarm(
        `${pascalCase(name)}Errors`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        `${name}: the Lambda function threw`,
      );
    }
    // The sweeper repaired lost runs: nothing is lost, but something upstream dropped events.
    alarm(
      'ClaimsResumed',
      business(businessMetrics.claimsResumed.name, 'Sum'),
      'sweeper: claims had lost their workflow run and were started again',
    );
    // Whichever workflow or retry it happened in, a claim in ERROR waits for an operator.
    alarm(
      'ClaimsInError',
      business(businessMetrics.claims.name, 'Sum', { outcome: 'error' }),
      'claims: a claim was marked ERROR and waits for a retry',
    );
    alarm(
      'ApiServerErrors',
      props.api.metricServerError({ period, statistic: 'Sum' }),
      'API: a request ended in 5xx',
    );

    const machines = [...props.workflows];
    const functions = [...props.functions];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.days(1),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
        [
          ...machines.map(
            ([name, m]) =>
              new GraphWidget({
                title: `${name} executions`,
                width: 8,
                left: [
                  m.metricStarted({ period }),
                  m.metricSucceeded({ period }),
                  m.metricFailed({ period }),
                  m.metricTimedOut({ period }),
                ],
              }),
          ),
          new GraphWidget({
            title: 'Intake',
            width: 8,
            left: [ruleMetric('Invocations'), failedInvocations],
            right: [
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period,
                statistic: 'Maximum',
              }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'API requests',
            width: 12,
            left: [
              props.api.metricCount({ period }),
              props.api.metricClientError({ period }),
              props.api.metricServerError({ period }),
            ],
          }),
          new GraphWidget({
            title: 'API latency (p90)',
            width: 12,
            left: [props.api.metricLatency({ period, statistic: 'p90' })],
          }),
        ],
        [
          new GraphWidget({
            title: 'Claims by outcome',
            width: 8,
            left: ['approved', 'review', 'paid', 'rejected', 'error'].map((outcome) =>
              business(businessMetrics.claims.name, 'Sum', { outcome }, outcome),
            ),
          }),
          new GraphWidget({
            title: 'Rejections by reason',
            width: 8,
            left: [byDimension(businessMetrics.claimsRejected.name, 'reason', 'Sum', '')],
          }),
          new GraphWidget({
            title: 'Paid (yuan)',
            width: 8,
            left: [
              new MathExpression({
                expression: 'fen / 100',
                usingMetrics: { fen: business(businessMetrics.payoutFen.name, 'Sum') },
                label: 'yuan paid',
                period,
              }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Upload to paid (seconds)',
            width: 12,
            left: ['p50', 'p90'].map((p) => business(businessMetrics.uploadToPaid.name, p, {}, p)),
          }),
          new GraphWidget({
            title: 'Review wait by gate (seconds, p90)',
            width: 12,
            left: [byDimension(businessMetrics.reviewWait.name, 'gate', 'p90', '')],
          }),
        ],
        [
          new GraphWidget({
            title: 'Lambda errors',
            width: 12,
            left: functions.map(([name, fn]) => fn.metricErrors({ period, label: name })),
          }),
          new GraphWidget({
            title: 'Lambda duration (p90)',
            width: 12,
            left: functions.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p90', label: name })),
          }),
        ],
      ],
    });
  }
}
