import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type FunctionEntry, requiredVariables } from '../../../lambda/functions';
import { acknowledge, REASONS } from './nag';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Where a function runs when it must reach something inside a VPC (the InfluxDB hot store). */
export interface FunctionNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The security group the reached resources admit. */
  readonly securityGroups: ec2.ISecurityGroup[];
}

export interface ProjectFunctionProps {
  /** Folder under `lambda/` holding `index.ts` with an exported `handler` (and its `env.ts`). */
  readonly entry: FunctionEntry;
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Run inside this VPC (its subnets have no route out: AWS APIs through VPC endpoints). @default outside any VPC */
  readonly network?: FunctionNetwork;
}

/**
 * Every Lambda function of the project: one place for runtime (latest Node.js, arm64),
 * X-Ray tracing, a log group with retention, source maps and esbuild options, so stacks never
 * repeat them. The AWS SDK is bundled, so the versions pinned in package-lock.json run in Lambda.
 */
export class ProjectFunction extends nodejs.NodejsFunction {
  /** The function's folder under `lambda/`. */
  public readonly entry: FunctionEntry;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs go to this function's group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description.slice(0, 1000),
      inlinePolicies: {
        logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    super(scope, id, {
      entry: path.join(REPO_ROOT, 'lambda', props.entry, 'index.ts'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.vpcSubnets,
        securityGroups: props.network.securityGroups,
      }),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundled rather than taken from the runtime, so what the tests ran is what runs.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    this.entry = props.entry;
    acknowledge(
      role,
      'IAM5[Resource::*]',
      props.network ? `${REASONS.xray} ${REASONS.vpcAccess}` : REASONS.xray,
    );
    if (props.network) {
      // What AWSLambdaVPCAccessExecutionRole grants, without its log rights (the role has its own):
      // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    // The environment is set by the constructs that grant each resource; what the function's own
    // schema requires must all be there by synth, or the function would fail every cold start.
    this.node.addValidation({
      validate: () => {
        const cfn = this.node.defaultChild as lambda.CfnFunction;
        const resolved = Stack.of(this).resolve(cfn.environment) as
          | { variables?: Record<string, unknown> }
          | undefined;
        const set = new Set(Object.keys(resolved?.variables ?? {}));
        const missing = requiredVariables(props.entry, resolved?.variables).filter((k) => !set.has(k));
        return missing.length === 0
          ? []
          : [`lambda/${props.entry}/env.ts requires ${missing.join(', ')}, which the stack does not set`];
      },
    });
  }
}
