import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbDetectorStateStore } from '../../lambda/shared/dynamodb-detector-state';

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => ddb.reset());

const NOW = Date.UTC(2026, 10, 24, 12);
const store = (maxAttempts = 3) =>
  new DynamoDbDetectorStateStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: 'states',
    maxAttempts,
    sleep: async () => {},
  });

describe('DynamoDbDetectorStateStore', () => {
  it('when DynamoDB leaves items unprocessed, they are sent again until written; calls carry at most 25', async () => {
    let first = true;
    ddb.on(BatchWriteCommand).callsFake((input) => {
      const requests = input.RequestItems.states;
      if (first) {
        first = false;
        return { UnprocessedItems: { states: requests.slice(0, 2) } };
      }
      return {};
    });
    const states = Array.from({ length: 60 }, (_, i) => ({
      deviceId: `d${i}`,
      savedAt: NOW,
      state: { version: 1 },
    }));
    expect(await store().putMany(states)).toEqual({ saved: 60, refused: [] });
    const sizes = ddb
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems!.states!.length);
    expect(sizes).toEqual([25, 2, 25, 10]);
    const item =
      ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems!.states![0]!.PutRequest!.Item!;
    // TTL in epoch seconds, 30 days after the save.
    expect(item).toMatchObject({
      deviceId: 'd0',
      savedAt: NOW,
      expiresAt: Math.floor((NOW + 30 * 86_400_000) / 1000),
    });
  });

  it('when items stay unprocessed past the attempts, the call fails naming how many', async () => {
    ddb
      .on(BatchWriteCommand)
      .callsFake((input) => ({ UnprocessedItems: { states: input.RequestItems.states } }));
    await expect(store(2).putMany([{ deviceId: 'd', savedAt: NOW, state: { version: 1 } }])).rejects.toThrow(
      'DynamoDB left 1 detector states unwritten after 2 attempts',
    );
  });

  it('when DynamoDB leaves keys unread, they are asked again, strongly consistent', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { states: [] },
        UnprocessedKeys: { states: { Keys: [{ deviceId: 'd1' }] } },
      })
      .resolves({ Responses: { states: [] } });
    await store().getMany(['d1', 'd2']);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 2);
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: { states: { Keys: [{ deviceId: 'd1' }], ConsistentRead: true } },
    });
  });
});
