/**
 * The Greengrass component's logic in its own thread, as on a gateway of its own: it connects
 * to the runtime's broker over MQTT with the gateway's credentials, and tells the runtime its
 * stats and log lines. Started by {@link EdgeHost}; `stop` drains it and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnomalyDetectorComponent } from '../greengrass/anomaly-detector/component';
import { MqttTransport } from '../greengrass/anomaly-detector/mqtt-transport';
import type { EdgeToHost, EdgeWorkerData } from './edge-host';

const port = parentPort!;
const data = workerData as EdgeWorkerData;
const post = (m: EdgeToHost) => port.postMessage(m);

async function main(): Promise<void> {
  const transport = await MqttTransport.connect({ localUrl: data.gatewayUrl, clientId: 'aiot-edge' });
  const edge = new AnomalyDetectorComponent({
    transport,
    stateDir: data.stateDir,
    logger: (level, message) => post({ type: 'log', level, message }),
  });
  await edge.start();
  const ticker = setInterval(() => post({ type: 'stats', stats: edge.stats() }), 250);
  port.on('message', (m: { type: 'stop' }) => {
    if (m.type !== 'stop') return;
    clearInterval(ticker);
    void (async () => {
      await edge.stop();
      await transport.close().catch(() => {});
      post({ type: 'stopped', stats: edge.stats() });
      port.close();
    })();
  });
  post({ type: 'started', stats: edge.stats() });
}

main().catch((e: unknown) => post({ type: 'failed', message: (e as Error).message }));
