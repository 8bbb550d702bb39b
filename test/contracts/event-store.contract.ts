import type { AnomalyEvent } from '../../core/events';
import type { EventStore, PredictionStore } from '../../core/ports';
import type { Prediction } from '../../core/query/model';
import { contractEnv, DAY, type Disposable, eachTest, MIN, type SubjectEntry } from './harness/subject';
import { anomaly, prediction } from './query-store.contract';

export interface EventStoreSubject extends Disposable {
  readonly events: EventStore;
  readonly predictions: PredictionStore;
  /** Every anomaly the backend holds, newest first, as the same backend's query adapter reads it. */
  storedAnomalies(): Promise<readonly AnomalyEvent[]>;
  /** Every prediction the backend holds, newest first, as the same backend's query adapter reads it. */
  storedPredictions(): Promise<readonly Prediction[]>;
  /** From now on the backend cannot be reached. */
  cutOff(): void;
}

/**
 * The EventStore and PredictionStore ports (core/ports/event-store.ts): what is put is what the
 * query side reads back; a call holding an invalid event stores nothing; an event stored again
 * under its device, time and source keeps the first copy.
 */
export function eventStoreContract({ name, make, prepare }: SubjectEntry<EventStoreSubject>): void {
  describe(`EventStore and PredictionStore contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    it('when anomalies are put, each is read back whole, newest first', async () => {
      const events = [
        anomaly('pump-1', NOW - 2 * MIN, 'warning'),
        {
          ...anomaly('pump-2', NOW - MIN, 'critical', 'cloud', 'plant-2'),
          measures: { temp: 91.25, rpm: 2000 },
        },
        { ...anomaly('pump-1', NOW - 3 * MIN, 'info'), measures: {} },
      ];
      await s.events.putAnomalies(events);
      expect(await s.storedAnomalies()).toEqual([events[1], events[0], events[2]]);
    });

    it('when nothing is put, nothing is stored', async () => {
      await s.events.putAnomalies([]);
      await s.predictions.putPredictions([]);
      expect(await s.storedAnomalies()).toEqual([]);
      expect(await s.storedPredictions()).toEqual([]);
    });

    it('when an anomaly is delivered again, or rescored under the same device, time and source, the first copy stays', async () => {
      const first = anomaly('pump-1', NOW - MIN, 'warning');
      await s.events.putAnomalies([first]);
      await s.events.putAnomalies([first]);
      await s.events.putAnomalies([{ ...first, score: 0.99, severity: 'critical' }]);
      const otherSource = anomaly('pump-1', NOW - MIN, 'critical', 'cloud');
      await s.events.putAnomalies([otherSource]);
      expect(await s.storedAnomalies()).toEqual([first, otherSource]);
    });

    it('when a call holds an anomaly that breaks its schema, it throws naming it and stores nothing of that call', async () => {
      await expect(
        s.events.putAnomalies([
          anomaly('pump-1', NOW - MIN, 'info'),
          { ...anomaly('pump-2', NOW, 'info'), score: 1.5 },
        ]),
      ).rejects.toThrow(/anomaly 1.*score/);
      expect(await s.storedAnomalies()).toEqual([]);
    });

    it('when more anomalies than one service call takes are put, all are stored', async () => {
      const many = Array.from({ length: 150 }, (_, i) => anomaly(`pump-${i}`, NOW - i * 1000, 'info'));
      await s.events.putAnomalies(many);
      expect(await s.storedAnomalies()).toHaveLength(150);
    });

    it('when predictions are put, each is read back with its model as source, newest first; a repeat keeps the first', async () => {
      const p1 = prediction('pump-1', NOW - 2 * MIN, 0.25);
      const p2 = prediction('pump-2', NOW - MIN, 0.75, 'x'.repeat(100));
      await s.predictions.putPredictions([p1, p2]);
      await s.predictions.putPredictions([{ ...p1, probability: 0.5 }]);
      const asRead = (p: typeof p1): Prediction => ({
        deviceId: p.deviceId,
        site: p.site,
        ts: p.ts,
        probability: p.probability,
        horizonMs: DAY,
        source: p.model.slice(0, 64),
      });
      expect(await s.storedPredictions()).toEqual([asRead(p2), asRead(p1)]);
    });

    it('when a call holds a prediction that breaks its schema, it throws naming it and stores nothing of that call', async () => {
      await expect(
        s.predictions.putPredictions([prediction('pump-1', NOW, 0.5), prediction('pump-1', NOW - MIN, 1.5)]),
      ).rejects.toThrow(/prediction 1.*probability/);
      expect(await s.storedPredictions()).toEqual([]);
    });

    it('when the backend cannot be reached, puts throw', async () => {
      s.cutOff();
      await expect(s.events.putAnomalies([anomaly('pump-1', NOW, 'info')])).rejects.toThrow();
      await expect(s.predictions.putPredictions([prediction('pump-1', NOW, 0.5)])).rejects.toThrow();
    });
  });
}
