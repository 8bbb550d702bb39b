import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_WORKFLOW_FACTS,
  runsPerMonth,
  stackFactsFromTemplate,
  workflowFactsFromAsl,
} from '../../../core/cost/stack';

const definition = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../../lib/workflows', `${name}.asl.json`), 'utf8'));

describe('stack facts', () => {
  it('when given a template, counts its alarms, dashboards, keys and interface endpoint-AZs', () => {
    const template = {
      Resources: {
        A: { Type: 'AWS::CloudWatch::Alarm' },
        B: { Type: 'AWS::CloudWatch::Alarm' },
        C: { Type: 'AWS::CloudWatch::Dashboard' },
        D: { Type: 'AWS::KMS::Key' },
        E: { Type: 'AWS::KMS::Alias' },
        F: {
          Type: 'AWS::EC2::VPCEndpoint',
          Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] },
        },
        G: {
          Type: 'AWS::EC2::VPCEndpoint',
          Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] },
        },
        H: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
      },
    };
    // Gateway endpoints are free; each interface endpoint is billed in each of its subnets' AZs.
    expect(stackFactsFromTemplate(template)).toEqual({
      alarms: 2,
      dashboards: 1,
      kmsKeys: 1,
      interfaceEndpointAzs: 4,
    });
    expect(() => stackFactsFromTemplate({ AWSTemplateFormatVersion: '2010-09-09' })).toThrow('no Resources');
  });

  it('when given a definition, counts nested states, Lambda tasks and SageMaker jobs', () => {
    const definition = {
      States: {
        Enrich: { Type: 'Task', Resource: '${EnrichFunctionArn}' },
        Train: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync' },
        Both: {
          Type: 'Parallel',
          Branches: [{ States: { Notify: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish' } } }],
        },
      },
    };
    expect(workflowFactsFromAsl(definition)).toEqual({ states: 4, lambdaTasks: 1, sagemakerJobs: 1 });
    expect(() => workflowFactsFromAsl({})).toThrow('no States');
  });

  it('the defaults are what the stack’s own workflow definitions hold', () => {
    expect(workflowFactsFromAsl(definition('anomaly-response'))).toEqual(
      DEFAULT_WORKFLOW_FACTS.anomalyResponse,
    );
    expect(workflowFactsFromAsl(definition('retraining'))).toEqual(DEFAULT_WORKFLOW_FACTS.retraining);
  });

  it('when the schedule is rate(7 days), a 730-hour month runs it 730/168 times; cron counts as weekly', () => {
    expect(runsPerMonth('rate(7 days)', 730)).toBeCloseTo(730 / 168, 9);
    expect(runsPerMonth('rate(6 hours)', 730)).toBeCloseTo(730 / 6, 9);
    expect(runsPerMonth('rate(30 minutes)', 730)).toBeCloseTo(1460, 9);
    expect(runsPerMonth('cron(0 3 ? * MON *)', 730)).toBeCloseTo(730 / 168, 9);
  });
});
