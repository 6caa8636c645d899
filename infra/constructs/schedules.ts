// The scheduled Lambdas (catalog.scheduledHandlers): one EventBridge rule each, at its rate.
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { scheduledHandlers, type ScheduledHandlerName } from '#functions/catalog.ts';
import { pascalCase } from '#infra/constructs/handler-functions.ts';

export interface SchedulesProps {
  readonly functions: Readonly<Record<ScheduledHandlerName, IFunction>>;
}

export class Schedules extends Construct {
  readonly rules: ReadonlyMap<ScheduledHandlerName, Rule>;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const rules = new Map<ScheduledHandlerName, Rule>();
    for (const { handler, everyMinutes } of scheduledHandlers) {
      rules.set(
        handler,
        new Rule(this, pascalCase(handler), {
          description: `claims ${handler} every ${everyMinutes} minutes`,
          schedule: Schedule.rate(Duration.minutes(everyMinutes)),
          // A missed run is made up by the next one: no retries piling up behind it.
          targets: [new LambdaFunction(props.functions[handler], { retryAttempts: 0 })],
        }),
      );
    }
    this.rules = rules;
  }
}
