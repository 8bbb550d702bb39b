import {
  type ArnComponents,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ruleName } from '../core/rules';
import { type AiotConfig, apiJwt, LONGEST_STAGE } from './config';
import { QueryApi } from './constructs/api/query-api';
import { forbidReservedConcurrency } from './constructs/common/account-quotas';
import { restrictToDeployRegions } from './constructs/common/deploy-regions';
import { acknowledgeBucketPut } from './constructs/common/nag';
import { ProjectFunction } from './constructs/common/project-function';
import { SecureBucket } from './constructs/common/secure-bucket';
import { EdgeProcessing } from './constructs/edge/edge-processing';
import { DetectorStateTable } from './constructs/ingest/detector-state-table';
import { TelemetryStream } from './constructs/ingest/telemetry-stream';
import { DeviceFleet } from './constructs/iot/device-fleet';
import { FleetProvisioning } from './constructs/iot/fleet-provisioning';
import { TopicRules } from './constructs/iot/topic-rules';
import { ModelStorage } from './constructs/ml/model-storage';
import { Operations } from './constructs/observability/operations';
import { OperatorDashboard } from './constructs/operator/operator-dashboard';
import { WorkOrderMirror } from './constructs/operator/work-order-mirror';
import { DataLake } from './constructs/storage/data-lake';
import type { HotStore } from './constructs/storage/hot-store';
import { InfluxDbStore } from './constructs/storage/influxdb-store';
import { StoreNetwork } from './constructs/storage/store-network';
import { TimestreamStore } from './constructs/storage/timestream-store';
import { AlertTopic } from './constructs/workflows/alert-topic';
import { AnomalyResponse } from './constructs/workflows/anomaly-response';
import { Retraining } from './constructs/workflows/retraining';
import { WorkOrderTable } from './constructs/workflows/work-order-table';

export interface AiotStackProps extends StackProps {
  readonly config: AiotConfig;
}

/**
 * The aiot platform in one stack: device fleet and provisioning, topic rules, the telemetry
 * stream and its processor, the hot time-series store and the data lake, and everything that
 * acts on anomalies.
 */
export class AiotStack extends Stack {
  public readonly dataKey: kms.Key;
  public readonly quarantineBucket: s3.Bucket;
  /** The hot store: InfluxDB in the stack's VPC (default) or LiveAnalytics. */
  public readonly store: HotStore;
  /** The InfluxDB store's VPC; none with LiveAnalytics. */
  public readonly storeNetwork?: StoreNetwork;
  /** The S3 data lake (Glue, Athena, Firehose), with every backend. */
  public readonly lake: DataLake;
  public readonly telemetry: TelemetryStream;
  public readonly streamProcessor: ProjectFunction;
  public readonly eventRouter: ProjectFunction;
  public readonly fleet: DeviceFleet;
  public readonly provisioning: FleetProvisioning;
  public readonly rules: TopicRules;
  public readonly edge: EdgeProcessing;
  public readonly workOrders: WorkOrderTable;
  public readonly detectorStates: DetectorStateTable;
  public readonly alerts: AlertTopic;
  public readonly anomalyResponse: AnomalyResponse;
  public readonly models: ModelStorage;
  public readonly retraining: Retraining;
  public readonly queryApi: QueryApi;
  public readonly operations: Operations;
  /** Present when `quicksightPrincipalArn` is set. */
  public readonly operatorDashboard?: OperatorDashboard;

  constructor(scope: Construct, id: string, props: AiotStackProps) {
    super(scope, id, props);
    const { config } = props;
    const namePrefix = `aiot-${config.stage}`;
    restrictToDeployRegions(this);
    forbidReservedConcurrency(this);

    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/${namePrefix}-data`,
      description: 'Encrypts aiot telemetry, quarantine, queues and the time-series store',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Services that write with this key on the stack's behalf, each only for this account's own
    // resources of this stack (confused deputy: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
    if (config.storageBackend === 'timestream-liveanalytics') {
      grantKeyToService(this.dataKey, 'timestream.amazonaws.com', {
        service: 'timestream',
        resource: 'database',
        resourceName: `${namePrefix}*`,
      });
    }
    grantKeyToService(this.dataKey, 'iot.amazonaws.com', {
      service: 'iot',
      resource: 'rule',
      resourceName: ruleName(config.stage, '*'),
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket itself; logging it into itself would loop.',
    });

    this.quarantineBucket = new SecureBucket(this, 'Quarantine', {
      encryptionKey: this.dataKey,
      accessLogsBucket: accessLogs,
      expireAfterDays: config.quarantineRetentionDays,
    }).bucket;

    if (config.storageBackend === 'timestream-influxdb') {
      this.storeNetwork = new StoreNetwork(this, 'StoreNetwork', { flowLogBucket: accessLogs });
      this.store = new InfluxDbStore(this, 'Store', {
        namePrefix,
        network: this.storeNetwork,
        encryptionKey: this.dataKey,
        logBucket: accessLogs,
        instanceType: config.influxInstanceType,
        allocatedStorageGb: config.influxStorageGb,
      });
    } else {
      this.store = new TimestreamStore(this, 'Store', {
        namePrefix,
        encryptionKey: this.dataKey,
        memoryRetentionHours: config.memoryRetentionHours,
        magneticRetentionDays: config.magneticRetentionDays,
        rejectedDataBucket: this.quarantineBucket,
      });
    }
    this.lake = new DataLake(this, 'Lake', {
      namePrefix,
      encryptionKey: this.dataKey,
      accessLogsBucket: accessLogs,
    });

    this.telemetry = new TelemetryStream(this, 'Telemetry', {
      encryptionKey: this.dataKey,
      capacityMode: config.kinesisCapacityMode,
      shards: config.kinesisShards,
      retentionHours: config.kinesisRetentionHours,
      batchSize: config.batchSize,
      batchWindowSeconds: config.batchWindowSeconds,
      retryAttempts: config.streamRetryAttempts,
    });

    this.streamProcessor = new ProjectFunction(this, 'StreamProcessor', {
      entry: 'stream-processor',
      description: 'Validates device telemetry from the stream and writes it to the time-series store',
      memorySize: 512,
      timeout: Duration.minutes(1),
      network: this.store.network,
    });
    this.store.grantWriteTelemetry(this.streamProcessor);
    this.lake.grantDeliver(this.streamProcessor, 'readings');
    this.grantQuarantine(this.streamProcessor);
    this.telemetry.attachProcessor(this.streamProcessor);

    this.eventRouter = new ProjectFunction(this, 'EventRouter', {
      entry: 'event-router',
      description: 'Stores anomaly events from the edge and starts the response workflow',
      network: this.store.network,
    });
    this.store.grantWriteEvents(this.eventRouter);
    this.lake.grantDeliver(this.eventRouter, 'events');
    this.grantQuarantine(this.eventRouter);

    this.fleet = new DeviceFleet(this, 'Fleet', {
      namePrefix,
      telemetryRuleName: ruleName(config.stage, 'telemetry'),
      longestTelemetryRuleName: ruleName(LONGEST_STAGE, 'telemetry'),
    });
    this.provisioning = new FleetProvisioning(this, 'Provisioning', {
      namePrefix,
      fleet: this.fleet,
      serialPattern: config.serialPattern,
    });
    this.rules = new TopicRules(this, 'Rules', {
      stage: config.stage,
      telemetryStream: this.telemetry.stream,
      eventRouter: this.eventRouter,
      errorBucket: this.quarantineBucket,
    });

    // Edge processing on Greengrass v2: the anomaly-detector component deployed to the core devices' group.
    this.edge = new EdgeProcessing(this, 'Edge', {
      namePrefix,
      longestNamePrefix: `aiot-${LONGEST_STAGE}`,
      sites: config.edgeSites ? config.edgeSites.split(',') : [],
    });

    // Acting on anomalies: work orders, alerts and the response workflow the event router starts.
    this.workOrders = new WorkOrderTable(this, 'WorkOrders', { encryptionKey: this.dataKey });
    this.alerts = new AlertTopic(this, 'Alerts', {
      encryptionKey: this.dataKey,
      email: config.alarmEmail || undefined,
    });
    this.anomalyResponse = new AnomalyResponse(this, 'AnomalyResponse', {
      namePrefix,
      store: this.store,
      workOrders: this.workOrders,
      alerts: this.alerts,
      ackTimeoutSeconds: config.ackTimeoutSeconds,
      errorBucket: this.quarantineBucket,
    });
    this.anomalyResponse.grantStart(this.eventRouter);

    // Keeping models fresh: scheduled retraining that deploys only a better model.
    this.models = new ModelStorage(this, 'Models', {
      encryptionKey: this.dataKey,
      accessLogsBucket: accessLogs,
    });
    this.retraining = new Retraining(this, 'Retraining', {
      namePrefix,
      store: this.store,
      lake: this.lake,
      workOrders: this.workOrders,
      alerts: this.alerts,
      storage: this.models,
      encryptionKey: this.dataKey,
      schedule: config.retrainingSchedule,
      windowDays: config.trainingWindowDays,
      inferenceMode: config.inferenceMode,
      trainingInstanceType: config.trainingInstanceType,
      inferenceInstanceType: config.inferenceInstanceType,
      edgeCoreGroupName: this.edge.deployment.coreGroup.thingGroupName!,
      edgeThresholdsParameter: this.edge.deployment.thresholdsParameter,
    });

    // Cloud scoring on the stream path: anomalies become events and start the response workflow.
    this.store.grantWriteEvents(this.streamProcessor);
    this.lake.grantDeliver(this.streamProcessor, 'events');
    this.anomalyResponse.grantStart(this.streamProcessor);
    this.retraining.grantScoring(this.streamProcessor);
    this.detectorStates = new DetectorStateTable(this, 'DetectorStates', { encryptionKey: this.dataKey });
    this.detectorStates.grantStates(this.streamProcessor);

    // How applications read what the platform knows (the same routes the local runtime serves).
    this.queryApi = new QueryApi(this, 'QueryApi', {
      store: this.store,
      workOrders: this.workOrders,
      jwt: apiJwt(config),
    });

    // The operator view in QuickSight, opt-in: QuickSight needs an account subscription.
    if (config.quicksightPrincipalArn) {
      new WorkOrderMirror(this, 'WorkOrderMirror', { lake: this.lake, workOrders: this.workOrders });
      this.operatorDashboard = new OperatorDashboard(this, 'OperatorDashboard', {
        namePrefix,
        principalArn: config.quicksightPrincipalArn,
        lake: this.lake,
        encryptionKey: this.dataKey,
        measures: config.quicksightMeasures.split(','),
      });
    }

    // What operations watch. Keep it last: it alarms on every function the stack has by then.
    this.operations = new Operations(this, 'Operations', {
      namePrefix,
      encryptionKey: this.dataKey,
      alarmEmail: config.alarmEmail || undefined,
      telemetryStream: this.telemetry.stream,
      deadLetterQueues: { Telemetry: this.telemetry.deadLetterQueue },
      functions: this.node.findAll().filter((c): c is ProjectFunction => c instanceof ProjectFunction),
      rules: [this.rules.telemetryRule, this.rules.eventsRule, this.anomalyResponse.ackRule],
      stateMachines: {
        AnomalyResponse: this.anomalyResponse.stateMachine,
        Retraining: this.retraining.stateMachine,
      },
      endpoint: { endpointName: this.retraining.endpointName },
      api: this.queryApi.api,
    });
  }

  /** Lets `fn` put quarantined items and tells it the bucket: environment and permission together. */
  grantQuarantine(fn: ProjectFunction): void {
    fn.addEnvironment('QUARANTINE_BUCKET', this.quarantineBucket.bucketName);
    this.quarantineBucket.grantPut(fn, 'quarantine/*');
    acknowledgeBucketPut(fn.role!, this.quarantineBucket, 'quarantine');
  }
}

/**
 * Lets an AWS service use the key on behalf of this account's resources matching `source` only:
 * `aws:SourceAccount` and `aws:SourceArn` keep another account's resource from borrowing it.
 */
function grantKeyToService(key: kms.Key, servicePrincipal: string, source: ArnComponents): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(servicePrincipal)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn(source) },
      },
    }),
  );
}
