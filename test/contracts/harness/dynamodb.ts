import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import dynalite from 'dynalite';
import { DetectorStateTable } from '../../../lib/constructs/ingest/detector-state-table';
import { WorkOrderTable } from '../../../lib/constructs/workflows/work-order-table';

/**
 * DynamoDB for the contract suites: dynalite (an implementation of the DynamoDB API on an
 * in-memory store) on a loopback port, reached by the real SDK client over HTTP. Not modelled:
 * eventual consistency of global secondary indexes (AWS may show a write in the index a moment
 * later; dynalite at once), encryption at rest, capacity and throttling.
 */
export async function startDynamo(): Promise<{
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  stop(): Promise<void>;
}> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'contract', secretAccessKey: 'contract' },
    maxAttempts: 1,
  });
  let stopped = false;
  return {
    client,
    documents: DynamoDBDocumentClient.from(client),
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** CloudFormation's camelCase property names → the API's PascalCase, recursively. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]),
    );
  }
  return value;
}

/** A table's keys, attributes, indexes and billing mode as its CloudFormation resource has them. */
function definitionOf(stack: Stack, cfn: dynamodb.CfnTable, tableName: string): CreateTableCommandInput {
  const resolved = (v: unknown) => pascal(stack.resolve(v));
  return {
    TableName: tableName,
    KeySchema: resolved(cfn.keySchema) as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: resolved(
      cfn.attributeDefinitions,
    ) as CreateTableCommandInput['AttributeDefinitions'],
    GlobalSecondaryIndexes: resolved(
      cfn.globalSecondaryIndexes,
    ) as CreateTableCommandInput['GlobalSecondaryIndexes'],
    BillingMode: cfn.billingMode as CreateTableCommandInput['BillingMode'],
  };
}

/** The detector-state table as the stack's construct defines it (keys, billing mode). */
export async function createDetectorStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const stack = new Stack();
  const construct = new DetectorStateTable(stack, 'DetectorStates', {
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  await client.send(
    new CreateTableCommand(
      definitionOf(stack, construct.table.node.defaultChild as dynamodb.CfnTable, tableName),
    ),
  );
}

/**
 * The work-order table exactly as the stack's construct defines it (keys, attribute types,
 * indexes and their projections, billing mode), read from the construct itself so the two
 * cannot drift apart.
 */
export function workOrderTableDefinition(tableName: string): CreateTableCommandInput {
  const stack = new Stack();
  const construct = new WorkOrderTable(stack, 'WorkOrders', { encryptionKey: new kms.Key(stack, 'Key') });
  return definitionOf(stack, construct.table.node.defaultChild as dynamodb.CfnTable, tableName);
}

export async function createWorkOrderTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(workOrderTableDefinition(tableName)));
}
