import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AnomalyEvent } from '../../core/events';
import { type AckPolicy, anomalyResponseStart } from '../../core/workflows/anomaly-response';

export interface AnomalyWorkflowStarterOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  readonly windowMs?: number;
  readonly ackPolicy?: AckPolicy;
}

export interface StartOutcome {
  readonly name: string;
  /** False when an execution for the same device and window already exists. */
  readonly started: boolean;
}

/**
 * Starts the anomaly-response workflow for an anomaly, named by device and window: a duplicate
 * (edge and cloud both finding it, a retried batch, a storm) meets ExecutionAlreadyExists, which
 * means the anomaly is already being handled.
 */
export function makeAnomalyWorkflowStarter(
  options: AnomalyWorkflowStarterOptions,
): (event: AnomalyEvent) => Promise<StartOutcome> {
  return async (event) => {
    const { name, input } = anomalyResponseStart(event, {
      windowMs: options.windowMs,
      ackPolicy: options.ackPolicy,
    });
    try {
      await options.client.send(
        new StartExecutionCommand({
          stateMachineArn: options.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return { name, started: true };
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists) return { name, started: false };
      throw err;
    }
  };
}
