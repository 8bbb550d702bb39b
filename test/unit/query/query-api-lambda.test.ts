import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand as TimestreamQuery, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { DynamoDBDocumentClient, QueryCommand as DynamoQuery } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { composeQueryStore } from '../../../core/query/model';
import { makeHandler } from '../../../lambda/query-api/handler';
import { DynamoDbWorkOrderStore } from '../../../lambda/shared/dynamodb-work-orders';
import { TimestreamQueryStore } from '../../../lambda/shared/timestream-query';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

const event = (rawPath: string, query?: Record<string, string>) =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: {},
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
      requestId: 'req-42',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: NOW,
    },
  }) as APIGatewayProxyEventV2;

describe('query-api handler (AWS adapters, SDK mocked)', () => {
  const timestream = mockClient(TimestreamQueryClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  const logged: Record<string, unknown>[] = [];
  const handler = makeHandler({
    store: composeQueryStore(
      new TimestreamQueryStore({
        client: new TimestreamQueryClient({}),
        databaseName: 'aiot-dev',
        clock: () => NOW,
      }),
      new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'aiot-dev-work-orders'),
    ),
    clock: () => NOW,
    logError: (_m, details) => logged.push(details),
  });
  beforeEach(() => {
    timestream.reset();
    dynamo.reset();
    logged.length = 0;
  });

  it('when work orders of a status are asked for, it queries the status index newest first', async () => {
    const order = {
      id: `wo-pump-1-${NOW - 900_000}`,
      deviceId: 'pump-1',
      site: 'plant-1',
      severity: 'critical',
      status: 'open',
      openedAt: NOW - 60_000,
      updatedAt: NOW - 60_000,
      window: { start: NOW - 900_000, end: NOW },
      reason: 'bearing temperature',
      score: 0.97,
    };
    dynamo.on(DynamoQuery).resolves({ Items: [order] });
    const res = await handler(event('/work-orders', { status: 'open', limit: '10' }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ items: [order] });
    expect(dynamo).toHaveReceivedCommandWith(DynamoQuery, {
      TableName: 'aiot-dev-work-orders',
      IndexName: 'byStatus',
      ExpressionAttributeValues: { ':s': 'open' },
      ScanIndexForward: false,
      // One more than the page, to know whether another page follows.
      Limit: 11,
    });
  });

  it('when anomalies are asked for, the window and severity reach Timestream as SQL', async () => {
    // The events table has the anomaly columns (DESCRIBE), and no anomaly in the window.
    const columns = ['deviceId', 'site', 'source', 'score', 'severity', 'measures'];
    timestream.on(TimestreamQuery).callsFake(({ QueryString }: { QueryString: string }) => ({
      $metadata: {},
      QueryId: 'q',
      ColumnInfo: [{ Name: 'Column' }, { Name: 'Type' }],
      Rows: QueryString.startsWith('DESCRIBE')
        ? columns.map((c) => ({ Data: [{ ScalarValue: c }, { ScalarValue: 'varchar' }] }))
        : [],
    }));
    const res = await handler(event('/anomalies', { severity: 'critical', from: '2026-11-24T11:00:00Z' }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ items: [] });
    const [describe, sqlText] = timestream
      .commandCalls(TimestreamQuery)
      .map((c) => c.args[0].input.QueryString!);
    expect(describe).toBe('DESCRIBE "aiot-dev"."events"');
    expect(sqlText).toContain(`time >= from_milliseconds(${NOW - 3_600_000})`);
    expect(sqlText).toContain(`time < from_milliseconds(${NOW})`);
    expect(sqlText).toContain("severity IN ('critical')");
  });

  it('when Timestream refuses, the caller gets a sanitised 500 and the log gets the whole error', async () => {
    timestream
      .on(TimestreamQuery)
      .rejects(new Error('AccessDeniedException: arn:aws:iam::123456789012:role/x'));
    const res = await handler(event('/devices'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('arn:aws');
    expect(JSON.parse(res.body!)).toEqual({
      error: {
        code: 'internal',
        message: 'the request could not be answered; try again later',
        requestId: 'req-42',
      },
    });
    expect(logged).toEqual([
      expect.objectContaining({ requestId: 'req-42', path: '/devices', error: expect.any(Error) }),
    ]);
  });

  it('when parameters are invalid, nothing reaches AWS', async () => {
    const res = await handler(event('/devices/pump-1/telemetry', { measure: "x') OR 1=1 --" }));
    expect(res.statusCode).toBe(400);
    expect(timestream).toHaveReceivedCommandTimes(TimestreamQuery, 0);
  });
});
