import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type LakeRow, readingRows } from '../../core/lake/schema';
import type { TelemetryRecord, TelemetryStore } from '../../core/ports';
import { runAthena, selectAthena } from '../../lambda/shared/athena';
import {
  batches,
  FirehoseLake,
  LakeDeliveryError,
  PUT_RECORD_BATCH_LIMITS,
  withLakeTelemetry,
} from '../../lambda/shared/firehose-lake';
import { NOW } from '../fixtures/telemetry';

const firehose = mockClient(FirehoseClient);
const athena = mockClient(AthenaClient);

beforeEach(() => {
  firehose.reset();
  athena.reset();
});

const noWait = async () => {};

/** Readings of one device, one measure each, from a fixed start: `n` lake rows. */
function records(n: number): TelemetryRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    deviceId: 'AIOT-0000000A',
    site: 'plant-a',
    time: NOW + i * 1000,
    seq: i,
    measures: { vibration_rms: i / 10 },
  }));
}

const sentRows = (): LakeRow[] =>
  firehose
    .commandCalls(PutRecordBatchCommand)
    .flatMap((c) => c.args[0].input.Records ?? [])
    .map((r) => JSON.parse(new TextDecoder().decode(r.Data)) as LakeRow);

describe('FirehoseLake', () => {
  it('when given 1,201 rows, sends them in calls of at most 500 records (PutRecordBatch limit), newline-delimited JSON', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 'lake-readings',
      sleep: noWait,
    });
    await lake.put(readingRows(records(1201)));
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.Records!.length)).toEqual([500, 500, 201]);
    expect(firehose).toHaveReceivedCommandWith(PutRecordBatchCommand, {
      DeliveryStreamName: 'lake-readings',
    });
    const first = new TextDecoder().decode(calls[0]!.args[0].input.Records![0]!.Data);
    expect(first.endsWith('\n')).toBe(true);
    expect(JSON.parse(first)).toEqual({
      device_id: 'AIOT-0000000A',
      site: 'plant-a',
      ts: new Date(NOW).toISOString().replace('T', ' ').replace('Z', ''),
      seq: 0,
      measure: 'vibration_rms',
      value: 0,
      dt: new Date(NOW).toISOString().slice(0, 10),
    });
  });

  it('when Firehose refuses some records of a call, sends exactly those again until taken: nothing dropped, nothing doubled', async () => {
    // First call: records 1 and 3 refused (throttled); second call: all taken.
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 2,
        RequestResponses: [
          { RecordId: 'a' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
          { RecordId: 'c' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
        ],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'b' }, { RecordId: 'd' }] });
    const waits: number[] = [];
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 's',
      sleep: async (ms) => void waits.push(ms),
      backoffMs: (attempt) => 100 * attempt,
    });
    await lake.put(readingRows(records(4)));
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(2);
    const retried = calls[1]!.args[0].input.Records!.map(
      (r) => JSON.parse(new TextDecoder().decode(r.Data)).seq,
    );
    expect(retried).toEqual([1, 3]);
    expect(waits).toEqual([100]);
  });

  it('when Firehose keeps refusing, throws after the last attempt naming how many and why, so the caller retries its record', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ RecordId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 's',
      maxAttempts: 3,
      sleep: noWait,
    });
    await expect(lake.put(readingRows(records(2)))).rejects.toThrow(
      new LakeDeliveryError('1 of 2 lake records still refused after 3 attempts (InternalFailure: boom)'),
    );
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('when a row is larger than a Firehose record may be, refuses it before any call', async () => {
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 's',
      sleep: noWait,
    });
    const huge: LakeRow = { dt: '2026-12-01', note: 'x'.repeat(PUT_RECORD_BATCH_LIMITS.recordBytes) };
    await expect(lake.put([huge])).rejects.toThrow(/exceeds Firehose's 1024000-byte record limit/);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  it('when records add up to more than 4 MiB, splits the call by size as well as by count', () => {
    const record = new Uint8Array(900 * 1024);
    const split = batches(Array.from({ length: 10 }, () => record));
    expect(split.map((b) => b.length)).toEqual([4, 4, 2]);
    for (const b of split)
      expect(b.reduce((n, r) => n + r.byteLength, 0)).toBeLessThanOrEqual(PUT_RECORD_BATCH_LIMITS.bytes);
  });
});

describe('withLakeTelemetry', () => {
  it('when the store refuses a record as invalid, the lake gets the others (a reading too old for the store is still history)', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const store: TelemetryStore = {
      write: async (rs) => ({
        written: rs.length - 2,
        rejected: [
          { index: 0, kind: 'invalid', reason: 'field named time' },
          { index: 2, kind: 'out-of-retention', reason: 'too old' },
        ],
      }),
    };
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 's',
      sleep: noWait,
    });
    const result = await withLakeTelemetry(store, lake).write(records(3));
    expect(result.rejected).toHaveLength(2);
    expect(sentRows().map((r) => r.seq)).toEqual([1, 2]);
  });

  it('when the lake cannot take the rows, the write throws so the stream record is retried', async () => {
    firehose.on(PutRecordBatchCommand).rejects(new Error('network down'));
    const store: TelemetryStore = { write: async (rs) => ({ written: rs.length, rejected: [] }) };
    const lake = new FirehoseLake({
      client: firehose as unknown as FirehoseClient,
      streamName: 's',
      sleep: noWait,
    });
    await expect(withLakeTelemetry(store, lake).write(records(1))).rejects.toThrow('network down');
  });
});

describe('Athena runner', () => {
  it('when the query runs then succeeds, polls until SUCCEEDED in the workgroup and returns the rows without the header', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: { Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '3' }] }] },
        NextToken: 'p2',
      })
      .resolves({ ResultSet: { Rows: [{ Data: [{}] }] } });
    const rows = await selectAthena(athena as unknown as AthenaClient, 'SELECT 1', {
      workGroup: 'aiot-dev',
      sleep: noWait,
    });
    expect(rows).toEqual([['3'], [null]]);
    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
      QueryString: 'SELECT 1',
      WorkGroup: 'aiot-dev',
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, {
      QueryExecutionId: 'q-1',
      NextToken: 'p2',
    });
  });

  it('when the query fails, throws with Athena’s reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: line 1:15' } },
    });
    await expect(
      runAthena(athena as unknown as AthenaClient, 'SELECT x', { workGroup: 'w', sleep: noWait }),
    ).rejects.toThrow('Athena query q-2 failed: TABLE_NOT_FOUND: line 1:15');
  });

  it('when the query outlives the deadline, gives up naming its state', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    let now = 0;
    await expect(
      runAthena(athena as unknown as AthenaClient, 'SELECT 1', {
        workGroup: 'w',
        timeoutMs: 5000,
        pollMs: 1000,
        clock: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      }),
    ).rejects.toThrow('Athena query q-3 still RUNNING at the deadline');
  });
});
