/**
 * Entry point on a Greengrass core (the bundled artifact's index.js):
 * `node index.js <work dir>` — the recipe passes `{work:path}`, where the detector snapshot and
 * the cloud outbox live.
 */
import { AnomalyDetectorComponent } from './component';
import { IpcTransport } from './ipc-transport';

const log = (level: 'info' | 'warn' | 'error', message: string) =>
  (level === 'info' ? process.stdout : process.stderr).write(`[${level}] ${message}\n`);

async function main(): Promise<void> {
  const stateDir = process.argv[2] ?? process.cwd();
  const transport = await IpcTransport.connect();
  const component = new AnomalyDetectorComponent({
    transport,
    stateDir,
    config: await transport.getConfiguration(),
    logger: log,
  });
  await component.start();
  log('info', `anomaly detector running; state in ${stateDir}`);

  await transport.onConfigurationUpdate(() => {
    transport
      .getConfiguration()
      .then((config) => component.applyConfig(config))
      .then(() => log('info', 'configuration updated'))
      .catch((e: unknown) =>
        log('error', `configuration update refused, keeping the previous one: ${(e as Error).message}`),
      );
  });

  const shutdown = async () => {
    log('info', 'stopping: saving detector state');
    await component.stop();
    await transport.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((e: unknown) => {
  log('error', e instanceof Error ? e.message : String(e));
  process.exit(1);
});
