import { COMMAND_SCHEMA_VERSION } from '../../../core/commands';
import type { InboundMessage } from '../../../local/broker';
import { LocalRulesEngine } from '../../../local/rules-engine';

const message = (topic: string, payload: unknown): InboundMessage => ({
  topic,
  payload: Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  clientId: 'dev-1',
  receivedAt: 1_795_000_000_000,
});

function engine() {
  const calls = {
    telemetry: [] as { output: unknown; key: string }[],
    events: [] as unknown[],
    acks: [] as unknown[],
    errors: [] as { rule: string; reason: string }[],
  };
  const rules = new LocalRulesEngine('local', {
    telemetry: (output, key) =>
      void calls.telemetry.push({ output: JSON.parse(Buffer.from(output).toString()), key }),
    events: (output) => void calls.events.push(JSON.parse(Buffer.from(output).toString())),
    commandAck: (output) => void calls.acks.push(JSON.parse(Buffer.from(output).toString())),
    error: (rule, reason) => void calls.errors.push({ rule, reason }),
  });
  return { rules, calls };
}

describe('LocalRulesEngine', () => {
  it('when a device answers a safe-mode command, the acknowledgement rule hands the answer on with its topic; other replies pass by', async () => {
    const { rules, calls } = engine();
    const answer = { schema: COMMAND_SCHEMA_VERSION, commandId: 'wo-dev-1-0', status: 'ok', at: 1 };
    const r = await rules.dispatch(message('cmd/aiot/plant-1/dev-1/safe-mode/res', answer));
    expect(r).toEqual({ matched: ['commandAck'], failed: [] });
    expect(calls.acks).toEqual([{ ...answer, topic: 'cmd/aiot/plant-1/dev-1/safe-mode/res' }]);
    expect(rules.takes('cmd/aiot/plant-1/dev-1/sampling-rate/res')).toBe(false);
  });

  it('when telemetry arrives on the plain topic, puts the rule output on the stream keyed by device', async () => {
    const { rules, calls } = engine();
    const r = await rules.dispatch(message('dt/aiot/plant-1/dev-1/telemetry', { seq: 1 }));
    expect(r).toEqual({ matched: ['telemetry'], failed: [] });
    expect(calls.telemetry).toEqual([
      {
        key: 'dev-1',
        output: { seq: 1, topicSite: 'plant-1', topicDeviceId: 'dev-1', receivedAt: 1_795_000_000_000 },
      },
    ]);
  });

  it('when telemetry comes by Basic Ingest, only the named rule runs and it sees the topic without the prefix', async () => {
    const { rules, calls } = engine();
    await rules.dispatch(
      message('$aws/rules/aiot_local_telemetry/dt/aiot/plant-1/dev-1/telemetry', { seq: 2 }),
    );
    expect(calls.telemetry).toEqual([expect.objectContaining({ key: 'dev-1' })]);
    expect(calls.telemetry[0]!.output).toMatchObject({ topicSite: 'plant-1', topicDeviceId: 'dev-1' });
    // The events rule by Basic Ingest on a telemetry topic: outside its FROM, nothing runs.
    const other = await rules.dispatch(
      message('$aws/rules/aiot_local_events/dt/aiot/plant-1/dev-1/telemetry', { kind: 'anomaly' }),
    );
    expect(other.notTaken).toMatch(/aiot_local_events: the topic is outside FROM 'dt\/aiot\/\+\/\+\/events'/);
    expect(calls.events).toEqual([]);
  });

  it('when a Basic Ingest topic names no rule, the error action gets it with the reason', async () => {
    const { rules, calls } = engine();
    const r = await rules.dispatch(message('$aws/rules/aiot_local_nope/dt/aiot/p/dev-1/telemetry', {}));
    expect(r.matched).toEqual([]);
    expect(calls.errors).toEqual([
      { rule: 'aiot_local_nope', reason: 'no rule named aiot_local_nope (Basic Ingest)' },
    ]);
  });

  it('when the payload is not JSON, the telemetry rule fails and the error action gets the reason', async () => {
    const { rules, calls } = engine();
    const r = await rules.dispatch(
      message('dt/aiot/plant-1/dev-1/telemetry', Buffer.from([0xde, 0xad, 0x00])),
    );
    expect(r).toEqual({ matched: ['telemetry'], failed: ['telemetry'] });
    expect(calls.errors).toEqual([
      { rule: 'aiot_local_telemetry', reason: expect.stringMatching(/^payload is not JSON/) },
    ]);
    expect(calls.telemetry).toEqual([]);
  });

  it("when an event's WHERE does not hold, says why no rule took it", async () => {
    const { rules, calls } = engine();
    const r = await rules.dispatch(message('dt/aiot/plant-1/dev-1/events', { kind: 'heartbeat' }));
    expect(r.notTaken).toBe(
      "no rule takes this message (aiot_local_events: WHERE kind = 'anomaly' does not hold)",
    );
    const taken = await rules.dispatch(message('dt/aiot/plant-1/dev-1/events', { kind: 'anomaly' }));
    expect(taken).toEqual({ matched: ['events'], failed: [] });
    expect(calls.events).toEqual([expect.objectContaining({ kind: 'anomaly', topicDeviceId: 'dev-1' })]);
  });

  it('when asked by topic alone, takes the rules’ topics (safe-mode answers too) and Basic Ingest, not aggregates or commands', () => {
    const { rules } = engine();
    expect(rules.takes('dt/aiot/plant-1/dev-1/telemetry')).toBe(true);
    expect(rules.takes('dt/aiot/plant-1/dev-1/events')).toBe(true);
    expect(rules.takes('$aws/rules/anything/x')).toBe(true);
    expect(rules.takes('dt/aiot/plant-1/dev-1/aggregates')).toBe(false);
    expect(rules.takes('cmd/aiot/plant-1/dev-1/safe-mode')).toBe(false);
    expect(rules.takes('cmd/aiot/plant-1/dev-1/safe-mode/res')).toBe(true);
  });
});
