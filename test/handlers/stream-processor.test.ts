import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import type { TelemetryStore } from '../../core/ports';
import { S3Quarantine } from '../../lambda/shared/s3-quarantine';
import { TimestreamTelemetryStore } from '../../lambda/shared/timestream-store';
import { makeHandler } from '../../lambda/stream-processor/handler';
import { kinesisEvent, kinesisRecord, NOW, validMessage } from '../fixtures/telemetry';

const timestream = mockClient(TimestreamWriteClient);
const s3 = mockClient(S3Client);

function handler() {
  return makeHandler({
    store: new TimestreamTelemetryStore({
      client: new TimestreamWriteClient({}),
      databaseName: 'aiot-test',
      tableName: 'telemetry',
      sleep: async () => {},
      maxAttempts: 3,
    }),
    quarantine: new S3Quarantine(new S3Client({}), 'quarantine-bucket', () => new Date(NOW)),
    clock: () => NOW,
  });
}

/** Every line of every quarantine object written, parsed. */
function quarantined(): { reason: string; payload: string; encoding: string }[] {
  return s3
    .commandCalls(PutObjectCommand)
    .flatMap((c) => String(c.args[0].input.Body).trim().split('\n'))
    .map((l) => JSON.parse(l));
}

const writtenRecords = () =>
  timestream.commandCalls(WriteRecordsCommand).flatMap((c) => c.args[0].input.Records ?? []);

beforeEach(() => {
  timestream.reset();
  s3.reset();
  timestream.on(WriteRecordsCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

describe('stream-processor', () => {
  it("when one device's messages share a batch with another's, each device's are stored in order, devices side by side", async () => {
    const writes: string[] = [];
    let slowFirst = true;
    const store: TelemetryStore = {
      write: async (records) => {
        // The first write of the batch takes longer than the rest: in parallel it would end last.
        if (slowFirst) {
          slowFirst = false;
          await new Promise((r) => setImmediate(r));
          await new Promise((r) => setImmediate(r));
        }
        writes.push(`${records[0]!.deviceId}/${records[0]!.seq}`);
        return { written: records.length, rejected: [] };
      },
    };
    const handle = makeHandler({ store, quarantine: { put: async () => {} }, clock: () => NOW });
    const message = (deviceId: string, seq: number) => JSON.stringify(validMessage({ deviceId, seq }, 1));
    const res = await handle({
      Records: [
        kinesisRecord(message('AIOT-0000000A', 1), 0, 'AIOT-0000000A'),
        kinesisRecord(message('AIOT-0000000B', 1), 1, 'AIOT-0000000B'),
        kinesisRecord(message('AIOT-0000000A', 2), 2, 'AIOT-0000000A'),
        kinesisRecord(message('AIOT-0000000A', 3), 3, 'AIOT-0000000A'),
      ],
    });

    expect(res.batchItemFailures).toEqual([]);
    expect(writes.filter((w) => w.startsWith('AIOT-0000000A'))).toEqual([
      'AIOT-0000000A/1',
      'AIOT-0000000A/2',
      'AIOT-0000000A/3',
    ]);
    // The other device did not wait for the slow one.
    expect(writes[0]).toBe('AIOT-0000000B/1');
  });

  it("when a device's record cannot be written, its later records in the batch fail too (retried after it), others are stored", async () => {
    const store: TelemetryStore = {
      write: async (records) => {
        if (records[0]!.deviceId === 'AIOT-0000000A' && records[0]!.seq === 1)
          throw new Error('store unreachable');
        return { written: records.length, rejected: [] };
      },
    };
    const handle = makeHandler({ store, quarantine: { put: async () => {} }, clock: () => NOW });
    const message = (deviceId: string, seq: number) => JSON.stringify(validMessage({ deviceId, seq }, 1));
    const event = {
      Records: [
        kinesisRecord(message('AIOT-0000000A', 1), 0, 'AIOT-0000000A'),
        kinesisRecord(message('AIOT-0000000B', 1), 1, 'AIOT-0000000B'),
        kinesisRecord(message('AIOT-0000000A', 2), 2, 'AIOT-0000000A'),
      ],
    };
    const res = await handle(event);

    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      event.Records[0]!.kinesis.sequenceNumber,
      event.Records[2]!.kinesis.sequenceNumber,
    ]);
  });

  it('when every message is valid, writes each reading as one multi-measure record and reports no failure', async () => {
    const event = kinesisEvent([JSON.stringify(validMessage()), JSON.stringify(validMessage({ seq: 8 }, 2))]);
    const res = await handler()(event);

    expect(res.batchItemFailures).toEqual([]);
    expect(writtenRecords()).toHaveLength(5);
    expect(timestream).toHaveReceivedCommandWith(WriteRecordsCommand, {
      DatabaseName: 'aiot-test',
      TableName: 'telemetry',
    });
    expect(writtenRecords()[0]).toEqual({
      Dimensions: [
        { Name: 'deviceId', Value: 'AIOT-0000000A' },
        { Name: 'site', Value: 'plant-a' },
      ],
      MeasureName: 'reading',
      MeasureValueType: 'MULTI',
      MeasureValues: [
        { Name: 'vibration_rms', Value: '1.5', Type: 'DOUBLE' },
        { Name: 'bearing_temp_c', Value: '40', Type: 'DOUBLE' },
        { Name: 'seq', Value: '7', Type: 'BIGINT' },
      ],
      Time: String(NOW - 2000),
      TimeUnit: 'MILLISECONDS',
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('when a message has more than 100 readings, writes them in chunks of at most 100', async () => {
    const res = await handler()(kinesisEvent([JSON.stringify(validMessage({}, 250))]));

    expect(res.batchItemFailures).toEqual([]);
    const sizes = timestream.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it('when valid and invalid messages share a batch, stores the valid ones and quarantines the others with reasons', async () => {
    const event = kinesisEvent([
      JSON.stringify(validMessage()),
      'not json at all',
      JSON.stringify({ ...validMessage(), readings: [] }),
      JSON.stringify(validMessage({ seq: 9 })),
    ]);
    const res = await handler()(event);

    expect(res.batchItemFailures).toEqual([]);
    expect(writtenRecords()).toHaveLength(6);
    const q = quarantined();
    expect(q.map((i) => i.reason)).toEqual([
      expect.stringContaining('payload is not JSON'),
      expect.stringContaining('readings: a message needs at least one reading'),
    ]);
    expect(q[0]?.payload).toBe('not json at all');
  });

  it('when Timestream rejects some records, writes the rest and quarantines each rejected one with its reason', async () => {
    timestream.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        $metadata: {},
        message: 'One or more records have been rejected',
        RejectedRecords: [
          {
            RecordIndex: 0,
            Reason: 'The record timestamp is outside the time range of the data ingestion window.',
          },
          {
            RecordIndex: 2,
            Reason: 'A record with the same dimensions exists with a different value.',
            ExistingVersion: 1,
          },
        ],
      }),
    );
    const res = await handler()(kinesisEvent([JSON.stringify(validMessage())]));

    expect(res.batchItemFailures).toEqual([]);
    const q = quarantined();
    expect(q).toHaveLength(2);
    expect(q[0]?.reason).toMatch(/^store rejected the record \(out-of-retention\)/);
    expect(q[1]?.reason).toMatch(/^store rejected the record \(conflict\)/);
    expect(JSON.parse(q[0]!.payload)).toMatchObject({ deviceId: 'AIOT-0000000A', time: NOW - 2000 });
  });

  it('when Timestream throttles and then recovers, retries and writes everything', async () => {
    timestream
      .on(WriteRecordsCommand)
      .rejectsOnce(new ThrottlingException({ $metadata: {}, message: 'slow down', Message: 'slow down' }))
      .resolves({});
    const res = await handler()(kinesisEvent([JSON.stringify(validMessage())]));

    expect(res.batchItemFailures).toEqual([]);
    expect(timestream.commandCalls(WriteRecordsCommand)).toHaveLength(2);
  });

  it('when Timestream keeps throttling, fails only that batch item', async () => {
    const bad = JSON.stringify(validMessage({ deviceId: 'AIOT-000000BB' }));
    timestream.on(WriteRecordsCommand).callsFake((input) => {
      if (input.Records[0].Dimensions[0].Value === 'AIOT-000000BB') {
        throw new ThrottlingException({ $metadata: {}, message: 'slow down', Message: 'slow down' });
      }
      return {};
    });
    const event = kinesisEvent([
      JSON.stringify(validMessage()),
      bad,
      JSON.stringify(validMessage({ seq: 8 })),
    ]);
    const res = await handler()(event);

    expect(res.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }]);
    expect(writtenRecords().filter((r) => r.Dimensions?.[0]?.Value === 'AIOT-0000000A')).toHaveLength(6);
    expect(quarantined()).toEqual([]);
  });

  it('when the quarantine bucket cannot be written, fails the bad record (Lambda retries it, then sends it to the dead-letter queue) and stores the rest', async () => {
    s3.on(PutObjectCommand).rejects(new Error('service unavailable'));
    const event = kinesisEvent([JSON.stringify(validMessage()), 'not json at all']);
    const res = await handler()(event);

    // Not dropped: reported failed, so the event source mapping retries it and, past its retries,
    // sends its coordinates to the on-failure destination; the stream keeps the record meanwhile.
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }]);
    expect(writtenRecords()).toHaveLength(3);
  });

  it('when a device replays a message it already sent (same seq and readings), writes the very same records again', async () => {
    const message = JSON.stringify(validMessage({ seq: 41 }));
    await handler()(kinesisEvent([message]));
    const first = writtenRecords();
    timestream.resetHistory();
    await handler()(kinesisEvent([message]));

    // Same dimensions, time, measure name and values: Timestream keeps one record (only a write with
    // a different value needs a higher Version: https://docs.aws.amazon.com/timestream/latest/developerguide/API_Record.html),
    // so a replay after a lost acknowledgement leaves no duplicate; the timestamps are the device's own.
    expect(writtenRecords()).toEqual(first);
    expect(first.map((r) => r.Time)).toEqual([String(NOW - 2000), String(NOW - 1000), String(NOW)]);
  });

  it('when given any byte string, never throws and quarantines every invalid input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        async (payloads) => {
          s3.resetHistory();
          timestream.resetHistory();
          const res = await handler()(kinesisEvent(payloads));
          expect(res.batchItemFailures).toEqual([]);
          // Random bytes are never a valid message: each one is kept in the quarantine, bytes intact.
          const q = quarantined();
          expect(q).toHaveLength(payloads.length);
          for (const [i, item] of q.entries()) {
            const bytes =
              item.encoding === 'base64' ? Buffer.from(item.payload, 'base64') : Buffer.from(item.payload);
            expect(bytes.equals(Buffer.from(payloads[i]!))).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
