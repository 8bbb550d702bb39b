import type { AnomalyEvent } from '../../core/events';
import type { EventStore, Quarantine, QuarantineItem } from '../../core/ports';
import { makeHandler } from '../../lambda/event-router/handler';
import { NOW } from '../fixtures/telemetry';

function deps() {
  const stored: AnomalyEvent[] = [];
  const quarantined: QuarantineItem[] = [];
  const acted: AnomalyEvent[] = [];
  const events: EventStore = { putAnomalies: async (e) => void stored.push(...e) };
  const quarantine: Quarantine = { put: async (i) => void quarantined.push(...i) };
  const route = makeHandler({
    events,
    quarantine,
    clock: () => NOW,
    onAnomaly: async (e) => void acted.push(e),
  });
  return { route, stored, quarantined, acted };
}

const anomaly = (): AnomalyEvent => ({
  schema: 'aiot.event/1',
  kind: 'anomaly',
  deviceId: 'AIOT-0000000A',
  site: 'plant-a',
  ts: NOW,
  score: 0.97,
  severity: 'critical',
  measures: { bearing_temp_c: 92.5 },
  source: 'edge',
});

describe('event-router', () => {
  it('when an anomaly arrives through the rule, stores it and acts on it', async () => {
    const { route, stored, acted } = deps();
    const res = await route({
      ...anomaly(),
      topicSite: 'plant-a',
      topicDeviceId: 'AIOT-0000000A',
      receivedAt: NOW,
    });
    expect(res.status).toBe('routed');
    expect(stored).toEqual([anomaly()]);
    expect(acted).toEqual([anomaly()]);
  });

  it('when an episode opens and then escalates, both events are stored and handed on (the starter decides)', async () => {
    const { route, stored, acted } = deps();
    const opening = { ...anomaly(), severity: 'warning' as const, score: 0.9, episodeStart: NOW };
    const escalation = { ...anomaly(), ts: NOW + 40_000, episodeStart: NOW };
    await route(opening);
    await route(escalation);
    expect(stored).toEqual([opening, escalation]);
    expect(acted).toEqual([opening, escalation]);
  });

  it('when an event is invalid, quarantines it with the reason and neither stores nor acts', async () => {
    const { route, stored, acted, quarantined } = deps();
    const res = await route({ ...anomaly(), score: 7 });
    expect(res).toEqual({ status: 'quarantined', reason: expect.stringContaining('score') });
    expect(quarantined).toEqual([
      expect.objectContaining({
        source: 'event-router',
        reason: res.status === 'quarantined' ? res.reason : '',
      }),
    ]);
    expect(stored).toEqual([]);
    expect(acted).toEqual([]);
  });

  it('when the payload names another device than its topic, quarantines it', async () => {
    const { route, quarantined } = deps();
    await route({ ...anomaly(), topicSite: 'plant-a', topicDeviceId: 'AIOT-FFFFFFFF' });
    expect(quarantined[0]?.reason).toMatch(/came on the topic of AIOT-FFFFFFFF/);
  });
});
