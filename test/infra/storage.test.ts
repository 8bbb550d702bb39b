import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_STACK_FACTS, stackFactsFromTemplate } from '../../core/cost/stack';
import { EVENTS, READINGS } from '../../core/lake/schema';
import { INFLUXDB_PORT } from '../../lib/constructs/storage/influxdb-store';
import { buildStack } from '../fixtures/stack';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let influx: Template;
let live: Template;
beforeAll(() => {
  influx = buildStack().template();
  live = buildStack({ storageBackend: 'timestream-liveanalytics' }).template();
});

const ofType = (t: Template, type: string) =>
  Object.entries(t.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);

describe('hot store: Timestream for InfluxDB (the default)', () => {
  it('when synthesized with no context, has no LiveAnalytics database or table and one InfluxDB instance', () => {
    expect(ofType(influx, 'AWS::Timestream::Database')).toEqual([]);
    expect(ofType(influx, 'AWS::Timestream::Table')).toEqual([]);
    expect(ofType(influx, 'AWS::Timestream::InfluxDBInstance')).toHaveLength(1);
  });

  it('when synthesized, the instance is the smallest class, private, in the isolated subnets of two AZs, with its logs to S3', () => {
    const instance = ofType(influx, 'AWS::Timestream::InfluxDBInstance')[0]![1];
    expect(instance.Properties).toMatchObject({
      DbInstanceType: 'db.influx.medium',
      AllocatedStorage: 20,
      PubliclyAccessible: false,
      Port: INFLUXDB_PORT,
      LogDeliveryConfiguration: { S3Configuration: { Enabled: true } },
    });
    const subnets = instance.Properties.VpcSubnetIds as { Ref: string }[];
    expect(subnets).toHaveLength(2);
    const resources = influx.toJSON().Resources as Resources;
    for (const s of subnets) {
      expect(resources[s.Ref]!.Type).toBe('AWS::EC2::Subnet');
      expect(resources[s.Ref]!.Properties.MapPublicIpOnLaunch).toBe(false);
      expect(JSON.stringify(resources[s.Ref])).toContain('Isolated');
    }
    const azs = subnets.map((s) => JSON.stringify(resources[s.Ref]!.Properties.AvailabilityZone));
    expect(new Set(azs).size).toBe(2);
    // No way out: no internet gateway, no NAT.
    expect(ofType(influx, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(ofType(influx, 'AWS::EC2::NatGateway')).toEqual([]);
  });

  it('when synthesized, the admin password is a Secrets Manager reference and no credential is in clear', () => {
    const instance = ofType(influx, 'AWS::Timestream::InfluxDBInstance')[0]![1];
    expect(JSON.stringify(instance.Properties.Password)).toMatch(/\{\{resolve:secretsmanager:/);
    influx.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', ExcludePunctuation: true }),
    });
    for (const [, fn] of ofType(influx, 'AWS::Lambda::Function')) {
      const vars = JSON.stringify((fn.Properties.Environment as { Variables?: unknown })?.Variables ?? {});
      expect(vars).not.toMatch(/PASSWORD|"INFLUXDB_TOKEN"/);
    }
  });

  it('when synthesized, the store admits its port from the functions’ security group only', () => {
    const ingress = ofType(influx, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const onPort = ingress.filter((i) => i.FromPort === INFLUXDB_PORT);
    expect(onPort).toHaveLength(1);
    expect(onPort[0]).toMatchObject({
      IpProtocol: 'tcp',
      ToPort: INFLUXDB_PORT,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^StoreNetworkClients/), 'GroupId'] },
    });
    for (const i of ingress) expect(i.CidrIp).toBeUndefined();
  });

  it('when synthesized, functions reach AWS through endpoints: S3 and DynamoDB gateways, an interface per API they call', () => {
    const endpoints = ofType(influx, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
      JSON.stringify(r.Properties.ServiceName),
    );
    for (const service of [
      '.s3',
      '.dynamodb',
      'secretsmanager',
      'kms',
      'kinesis-firehose',
      'states',
      'sagemaker.runtime',
      'xray',
      'iot.api',
    ]) {
      expect(endpoints.some((e) => e.includes(service))).toBe(true);
    }
  });

  it('when synthesized, the cost model’s default stack facts (alarms, keys, endpoint-AZs) are this template’s', () => {
    expect(stackFactsFromTemplate(influx.toJSON())).toEqual(DEFAULT_STACK_FACTS);
  });

  it('when synthesized, every function that reads or writes the store runs in the VPC with the InfluxDB environment', () => {
    const inVpc = ofType(influx, 'AWS::Lambda::Function')
      .filter(([, r]) => JSON.stringify(r.Properties.Environment ?? {}).includes('INFLUXDB_URL'))
      .map(([, r]) => {
        expect(r.Properties.VpcConfig).toBeDefined();
        return r.Properties.Description as string;
      });
    expect(inVpc).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Validates device telemetry/),
        expect.stringMatching(/^Stores anomaly events/),
        expect.stringMatching(/^Query API/),
        expect.stringMatching(/^Anomaly response: recent history/),
        expect.stringMatching(/^Retraining: failure predictions/),
      ]),
    );
  });
});

describe('the functions’ InfluxDB token, made by the stack (custom resource)', () => {
  type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
  const resources = () => influx.toJSON().Resources as Record<string, Resource>;
  const logicalId = (type: string, match: (r: Resource) => boolean) => {
    const found = Object.entries(resources()).filter(([, r]) => r.Type === type && match(r));
    expect(found).toHaveLength(1);
    return found[0]![0];
  };
  const instanceId = () => logicalId('AWS::Timestream::InfluxDBInstance', () => true);
  const secretId = (description: RegExp) =>
    logicalId('AWS::SecretsManager::Secret', (r) => description.test(String(r.Properties.Description)));
  const tokenFunctionId = () =>
    logicalId('AWS::Lambda::Function', (r) =>
      /^Makes the InfluxDB API token/.test(String(r.Properties.Description)),
    );

  it('when synthesized, one Custom::InfluxDbToken names the instance’s URL, org, bucket and the two secrets, and depends on them', () => {
    const [id, token] = Object.entries(resources()).find(([, r]) => r.Type === 'Custom::InfluxDbToken')!;
    expect(id).toBeDefined();
    const admin = secretId(/admin password/);
    const tokenSecret = secretId(/API token of the functions/);
    expect(token.Properties).toMatchObject({
      Organization: 'aiot',
      Bucket: 'aiot',
      AdminSecretArn: { Ref: admin },
      TokenSecretArn: { Ref: tokenSecret },
      InstanceId: { 'Fn::GetAtt': [instanceId(), 'Id'] },
    });
    expect(JSON.stringify(token.Properties.Url)).toContain(`"${instanceId()}","Endpoint"`);
    expect(token.DependsOn).toEqual(expect.arrayContaining([instanceId(), admin, tokenSecret]));
    // No credential in the resource: only ARNs and names.
    expect(JSON.stringify(token.Properties)).not.toMatch(/resolve:secretsmanager|password|"token"/i);
  });

  it('when synthesized, the token function runs in the store VPC behind the clients’ security group', () => {
    const fn = resources()[tokenFunctionId()]!;
    expect(fn.Properties.VpcConfig).toMatchObject({
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreNetworkClients/), 'GroupId'] }],
    });
    expect(fn.Properties.Environment).toEqual({
      Variables: expect.not.objectContaining({ INFLUXDB_SECRET_ARN: expect.anything() }),
    });
  });

  it('when synthesized, its IAM reaches the admin secret (read) and the token secret (read, PutSecretValue) only, and the key', () => {
    const fnRole = (resources()[tokenFunctionId()]!.Properties.Role as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    const policies = Object.values(resources()).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === fnRole),
    );
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const secretStatements = statements.filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    const admin = secretId(/admin password/);
    const tokenSecret = secretId(/API token of the functions/);
    for (const st of secretStatements) {
      expect([{ Ref: admin }, { Ref: tokenSecret }]).toContainEqual(st.Resource);
    }
    const puts = secretStatements.filter((st) =>
      [st.Action].flat().includes('secretsmanager:PutSecretValue'),
    );
    expect(puts).toEqual([expect.objectContaining({ Resource: { Ref: tokenSecret } })]);
    expect(secretStatements.flatMap((st) => [st.Action].flat())).not.toContain('secretsmanager:UpdateSecret');
    const kmsStatements = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const st of kmsStatements) {
      expect(st.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
    }
    expect(kmsStatements.flatMap((st) => [st.Action].flat())).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
  });

  it('when synthesized, the functions that use the token are created after it', () => {
    const tokenResource = logicalId('Custom::InfluxDbToken', () => true);
    const streamProcessor = logicalId('AWS::Lambda::Function', (r) =>
      /^Validates device telemetry/.test(String(r.Properties.Description)),
    );
    expect(resources()[streamProcessor]!.DependsOn).toContain(tokenResource);
  });
});

describe('hot store: Timestream for LiveAnalytics (storageBackend=timestream-liveanalytics)', () => {
  it('when chosen, the stack has the LiveAnalytics database and tables, no InfluxDB and no VPC', () => {
    expect(ofType(live, 'AWS::Timestream::Database')).toHaveLength(1);
    expect(ofType(live, 'AWS::Timestream::Table')).toHaveLength(2);
    expect(ofType(live, 'AWS::Timestream::InfluxDBInstance')).toEqual([]);
    expect(ofType(live, 'AWS::EC2::VPC')).toEqual([]);
    // Switching to InfluxDB later must not delete the history.
    for (const [, r] of [
      ...ofType(live, 'AWS::Timestream::Database'),
      ...ofType(live, 'AWS::Timestream::Table'),
    ]) {
      expect((r as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    }
    live.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Validates device telemetry'),
      Environment: {
        Variables: Match.objectLike({
          STORAGE_BACKEND: 'timestream-liveanalytics',
          TELEMETRY_TABLE: 'telemetry',
        }),
      },
    });
  });
});

describe.each([
  ['InfluxDB', () => influx],
  ['LiveAnalytics', () => live],
])('data lake (%s backend)', (_, t) => {
  it('when synthesized, the Glue tables declare the lake schema, Parquet, partitioned by dt with projection', () => {
    for (const table of [READINGS, EVENTS]) {
      t().hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: table.name,
          PartitionKeys: [Match.objectLike({ Name: 'dt', Type: 'string' })],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
          }),
          StorageDescriptor: Match.objectLike({
            Columns: table.columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
            SerdeInfo: {
              SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
          }),
        }),
      });
    }
  });

  it('when synthesized, the partition projection template matches where Firehose writes each table', () => {
    const tables = ofType(t(), 'AWS::Glue::Table').map(
      ([, r]) =>
        r.Properties.TableInput as {
          Name: string;
          Parameters: Record<string, unknown>;
        },
    );
    const streams = ofType(t(), 'AWS::KinesisFirehose::DeliveryStream').map(
      ([, r]) =>
        r.Properties.ExtendedS3DestinationConfiguration as {
          Prefix: string;
          BucketARN: unknown;
          DataFormatConversionConfiguration: { SchemaConfiguration: { TableName: string } };
        },
    );
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      const stream = streams.find(
        (s) => s.DataFormatConversionConfiguration.SchemaConfiguration.TableName === table.Name,
      )!;
      // The template is `s3://<bucket>/<table>/dt=${dt}/` (a Fn::Join on the bucket name).
      const template = table.Parameters['storage.location.template'] as { 'Fn::Join': [string, unknown[]] };
      const [, parts] = template['Fn::Join'];
      const suffix = parts[parts.length - 1] as string;
      const day = '2026-12-01';
      expect(`${stream.Prefix.replace('!{partitionKeyFromQuery:dt}', day)}`).toBe(
        suffix.replace(/^\//, '').replace('${dt}', day),
      );
      expect(JSON.stringify(template)).toContain(
        JSON.stringify((stream.BucketARN as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]),
      );
    }
  });

  it('when synthesized, Firehose converts JSON rows to Parquet against the Glue table, dynamic partitions by dt, KMS', () => {
    t().hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: {
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: Match.anyValue(),
      },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 300 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        DataFormatConversionConfiguration: Match.objectLike({
          Enabled: true,
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        }),
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: Match.anyValue() } },
      }),
    });
  });

  it('when synthesized, the Athena workgroup enforces KMS-encrypted results in their own bucket', () => {
    t().hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'aiot-dev',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() },
        },
      }),
    });
  });

  it('when synthesized, the stream processor may PutRecordBatch to both lake streams and nothing more of Firehose', () => {
    const policies = ofType(t(), 'AWS::IAM::Policy').filter(([id]) => id.startsWith('StreamProcessorRole'));
    const statements = policies.flatMap(
      ([, p]) =>
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );
    const firehose = statements.filter((s) => JSON.stringify(s.Action).includes('firehose:'));
    expect(firehose.map((s) => s.Action)).toEqual(['firehose:PutRecordBatch', 'firehose:PutRecordBatch']);
  });
});
