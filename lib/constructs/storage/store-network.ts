import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FunctionNetwork } from '../common/project-function';

export interface StoreNetworkProps {
  /** Bucket receiving the VPC flow logs. */
  readonly flowLogBucket: s3.IBucket;
  /** Availability zones of the isolated subnets (the InfluxDB instance takes at least two). @default 2 */
  readonly maxAzs?: number;
}

/**
 * The network of the InfluxDB hot store: private isolated subnets over two availability zones,
 * no internet or NAT gateway; the functions inside reach AWS APIs through gateway endpoints
 * (S3, DynamoDB) and interface endpoints (one per API they call), each admitting only the
 * functions' security group on 443.
 */
export class StoreNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The security group of every function inside: what the store and the endpoints admit. */
  public readonly clientSecurityGroup: ec2.SecurityGroup;
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** Where functions that reach the store run. */
  public readonly functionNetwork: FunctionNetwork;

  constructor(scope: Construct, id: string, props: StoreNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        s3: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // Isolated subnets have no route out; egress is bounded by the routes (endpoints and the VPC).
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'Clients', {
      vpc: this.vpc,
      description: 'aiot functions that read or write the hot store',
      allowAllOutbound: true,
    });
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      description: 'aiot interface endpoints: HTTPS from the store functions only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the store functions',
    );

    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    const region = Stack.of(this).region;
    // The APIs the functions inside call (lambda/*/index.ts): secrets and keys for every one,
    // Firehose (lake delivery), Step Functions (starting the response), SageMaker runtime
    // (scoring), IoT's control plane (enrich's DescribeThing: com.amazonaws.<region>.iot.api,
    // https://docs.aws.amazon.com/iot/latest/developerguide/IoTCore-VPC.html), X-Ray (tracing).
    const interfaces: Record<string, ec2.IInterfaceVpcEndpointService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
      Firehose: ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE,
      StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
      XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
      IotApi: new ec2.InterfaceVpcEndpointService(`com.amazonaws.${region}.iot.api`, 443),
    };
    for (const [name, service] of Object.entries(interfaces)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
    }

    this.functionNetwork = {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.clientSecurityGroup],
    };
  }
}
