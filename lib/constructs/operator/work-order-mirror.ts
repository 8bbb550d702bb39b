import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { ProjectFunction } from '../common/project-function';
import type { DataLake } from '../storage/data-lake';
import type { WorkOrderTable } from '../workflows/work-order-table';

export interface WorkOrderMirrorProps {
  /** The lake whose events table receives the work-order states. */
  readonly lake: DataLake;
  readonly workOrders: WorkOrderTable;
  /** How often work orders are mirrored. @default 5 minutes */
  readonly every?: Duration;
}

/**
 * Mirrors work orders from DynamoDB into the lake's events table on a schedule, so the operator
 * dashboard (QuickSight has no DynamoDB connector) shows them beside anomalies, for every backend.
 */
export class WorkOrderMirror extends Construct {
  public readonly handler: ProjectFunction;

  constructor(scope: Construct, id: string, props: WorkOrderMirrorProps) {
    super(scope, id);
    this.handler = new ProjectFunction(this, 'Handler', {
      entry: 'operator-sync',
      description: 'Mirrors recently changed work orders into the data lake for the operator dashboard',
      timeout: Duration.minutes(2),
    });
    props.workOrders.grantRead(this.handler);
    props.lake.grantDeliver(this.handler, 'events');
    new events.Rule(this, 'Schedule', {
      description: 'Mirror work orders for the operator dashboard',
      schedule: events.Schedule.rate(props.every ?? Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.handler, { retryAttempts: 2 })],
    });
  }
}
