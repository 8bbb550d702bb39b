import {
  firehoseBilledBytes,
  iotMeteredMessages,
  kinesisOnDemandBilledBytes,
  kinesisPutPayloadUnits,
  lambdaGbSeconds,
  liveAnalyticsWriteUnits,
} from '../../../core/cost/metering';

const KB = 1024;

// The examples are the pricing pages' own where they give one:
// https://aws.amazon.com/iot-core/pricing/additional-details/, http://aws.amazon.com/kinesis/pricing/,
// https://aws.amazon.com/kinesis/data-streams/pricing/, https://aws.amazon.com/de/kinesis/data-firehose/pricing/,
// https://aws.amazon.com/lambda/pricing/.
describe('metering', () => {
  it('when an IoT message (payload + topic) fills 5 KB exactly it is one message, one byte more makes two', () => {
    expect(iotMeteredMessages(5 * KB - 70, 70)).toBe(1);
    expect(iotMeteredMessages(5 * KB - 69, 70)).toBe(2);
    expect(iotMeteredMessages(12 * KB, 0)).toBe(3);
    expect(iotMeteredMessages(0, 40)).toBe(1);
  });

  it('when Kinesis records are 5 KB, 45 KB and 1 MB, they are 1, 2 and 40 PUT payload units of 25 KB', () => {
    expect(kinesisPutPayloadUnits(5 * KB)).toBe(1);
    expect(kinesisPutPayloadUnits(45 * KB)).toBe(2);
    expect(kinesisPutPayloadUnits(1024 * KB)).toBe(41);
    expect(kinesisPutPayloadUnits(1000 * KB)).toBe(40);
    expect(kinesisPutPayloadUnits(25 * KB + 1)).toBe(2);
  });

  it('when an on-demand Kinesis record is 4.5 KB, 5 KB is billed (rounded up to 1 KB)', () => {
    expect(kinesisOnDemandBilledBytes(4.5 * KB)).toBe(5 * KB);
    expect(kinesisOnDemandBilledBytes(1)).toBe(KB);
  });

  it('when Firehose records are 3 KB and 12 KB, 5 KB and 15 KB are billed', () => {
    expect(firehoseBilledBytes(3 * KB)).toBe(5 * KB);
    expect(firehoseBilledBytes(12 * KB)).toBe(15 * KB);
  });

  it('when a Lambda of 512 MB runs 10.2 ms, 11 ms are billed: 0.0055 GB-seconds', () => {
    expect(lambdaGbSeconds(10.2, 512)).toBeCloseTo(0.0055, 10);
    expect(lambdaGbSeconds(11, 512)).toBeCloseTo(0.0055, 10);
    expect(lambdaGbSeconds(200.5, 1024)).toBeCloseTo(0.201, 10);
  });

  it('when a Timestream record is 234 bytes it is one 1 KB write, 1,025 bytes make two', () => {
    expect(liveAnalyticsWriteUnits(234)).toBe(1);
    expect(liveAnalyticsWriteUnits(1025)).toBe(2);
  });
});
