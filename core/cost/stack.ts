/**
 * What the cost model reads from the stack's own artefacts: the synthesized CloudFormation
 * template (alarms, dashboards, keys) and the workflow definitions (how many states a run can
 * pass, how many Lambda tasks and SageMaker jobs it starts).
 */

export interface StackFacts {
  readonly alarms: number;
  readonly dashboards: number;
  readonly kmsKeys: number;
  /**
   * Interface VPC endpoints times the subnets (availability zones) each sits in: PrivateLink bills
   * every endpoint for every hour in every AZ (https://aws.amazon.com/privatelink/pricing/).
   */
  readonly interfaceEndpointAzs: number;
}

/**
 * As `npx cdk synth` writes them with the default configuration (InfluxDB backend);
 * `test/infra/storage.test.ts` checks them against the synthesized template.
 */
export const DEFAULT_STACK_FACTS: StackFacts = {
  alarms: 41,
  dashboards: 1,
  kmsKeys: 1,
  interfaceEndpointAzs: 14,
};

export interface WorkflowFacts {
  /** States in the definition, nested ones included: at most this many transitions a run, retries aside. */
  readonly states: number;
  readonly lambdaTasks: number;
  readonly sagemakerJobs: number;
}

/** As lib/workflows/*.asl.json define them (2026-12-01). */
export const DEFAULT_WORKFLOW_FACTS: Readonly<Record<'anomalyResponse' | 'retraining', WorkflowFacts>> = {
  anomalyResponse: { states: 27, lambdaTasks: 6, sagemakerJobs: 0 },
  retraining: { states: 38, lambdaTasks: 5, sagemakerJobs: 5 },
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Counts the billable resources of a synthesized template; throws on anything that is not one. */
export function stackFactsFromTemplate(template: unknown): StackFacts {
  if (!isRecord(template) || !isRecord(template.Resources)) {
    throw new Error('not a CloudFormation template: no Resources object');
  }
  const count = (type: string) =>
    Object.values(template.Resources as Record<string, unknown>).filter((r) => isRecord(r) && r.Type === type)
      .length;
  const interfaceEndpointAzs = Object.values(template.Resources as Record<string, unknown>)
    .filter(
      (r): r is Record<string, unknown> =>
        isRecord(r) &&
        r.Type === 'AWS::EC2::VPCEndpoint' &&
        isRecord(r.Properties) &&
        r.Properties.VpcEndpointType === 'Interface',
    )
    .reduce((n, r) => {
      const subnets = (r.Properties as Record<string, unknown>).SubnetIds;
      return n + (Array.isArray(subnets) ? subnets.length : 1);
    }, 0);
  return {
    alarms: count('AWS::CloudWatch::Alarm'),
    dashboards: count('AWS::CloudWatch::Dashboard'),
    kmsKeys: count('AWS::KMS::Key'),
    interfaceEndpointAzs,
  };
}

/** Counts the states, Lambda tasks and SageMaker jobs of an Amazon States Language definition. */
export function workflowFactsFromAsl(definition: unknown): WorkflowFacts {
  if (!isRecord(definition) || !isRecord(definition.States)) {
    throw new Error('not a state machine definition: no States object');
  }
  let states = 0;
  let lambdaTasks = 0;
  let sagemakerJobs = 0;
  const walk = (machine: Record<string, unknown>) => {
    for (const state of Object.values(machine)) {
      if (!isRecord(state)) continue;
      states++;
      const resource = typeof state.Resource === 'string' ? state.Resource : '';
      // Lambda tasks name their function through a definition substitution or the lambda ARN.
      if (/FunctionArn\}|:lambda:|states:::lambda:invoke/.test(resource)) lambdaTasks++;
      if (/sagemaker:create(Training|Transform)Job/.test(resource)) sagemakerJobs++;
      const nested = [
        ...(Array.isArray(state.Branches) ? state.Branches : []),
        state.Iterator,
        state.ItemProcessor,
      ];
      for (const n of nested) if (isRecord(n) && isRecord(n.States)) walk(n.States);
    }
  };
  walk(definition.States);
  return { states, lambdaTasks, sagemakerJobs };
}

/** Runs a month of an EventBridge Scheduler `rate(...)` expression; `cron(...)` counts as weekly. */
export function runsPerMonth(schedule: string, hoursPerMonth: number): number {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(schedule.trim());
  if (!rate) return hoursPerMonth / (7 * 24);
  const n = Number(rate[1]);
  const hours = rate[2]!.startsWith('minute') ? n / 60 : rate[2]!.startsWith('hour') ? n : n * 24;
  return hoursPerMonth / hours;
}
