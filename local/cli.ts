import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadScenario } from '../device/simulator/scenario';
import { LocalRuntime, type RuntimeStatus } from './runtime';
import type { StoreFault } from './store-faults';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer in ${min}–${max}`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

function statusLine(s: RuntimeStatus): string {
  const c = s.counters;
  const dur = s.durationS ? `/${s.durationS}s` : 's';
  const fleet = s.fleet ? ` devices ${s.fleet.connected}/${s.fleet.devices}` : '';
  return (
    `[${Math.floor(s.elapsedS)}${dur}]${fleet} published ${c.published} stored ${c.stored} ` +
    `quarantined ${c.quarantined} in-stream ${s.pendingInStream} anomalies ${c.anomalies} workflows ${c.workflowsStarted}`
  );
}

/** `aiot start`: the whole platform on this machine. */
export function registerLocalCommands(program: Command): void {
  program
    .command('start')
    .description(
      'run the whole platform locally: embedded MQTT broker, the stack rules, stream processor, store, edge detector, ' +
        'workflows, a simulated fleet and a dashboard',
    )
    .option(
      '--devices <n>',
      'simulated devices (0: none, for your own devices)',
      int('--devices', 0, 10_000),
      6,
    )
    .option('--duration <s>', 'stop by itself after S seconds and write the report', positive('--duration'))
    .option('--rate <hz>', 'readings per second per simulated device', positive('--rate'), 2)
    .option('--port <port>', 'dashboard port (0: any free port)', int('--port', 0, 65535), 8080)
    .option(
      '--mqtt-port <port>',
      'embedded broker port (0: any free port)',
      int('--mqtt-port', 0, 65535),
      1883,
    )
    .option('--broker <url>', 'use this broker (e.g. mqtt://127.0.0.1:1884) instead of the embedded one')
    .option('--report <file>', 'where to write the JSON report at the end', 'aiot-report.json')
    .option('--seed <k>', 'seed of the simulated fleet', int('--seed', 0, 2 ** 32 - 1), 1)
    .option(
      '--scenario <file>',
      'a fleet scenario (see device/scenarios/demo.json) instead of the default fleet',
    )
    .option('--data <dir>', 'where the store, device queues and edge state live', '.aiot')
    .option(
      '--pipeline-threads <n>',
      'threads running the rules, stream, stream processor and store writes, each for its share of the devices',
      int('--pipeline-threads', 1, 16),
      2,
    )
    .addOption(
      new Option(
        '--inject-store-faults <json>',
        'faults the store goes through, as JSON (the reliability benchmark; see docs/reliability.md)',
      )
        .argParser((v) => JSON.parse(v) as StoreFault[])
        .hideHelp(),
    )
    .addOption(
      new Option(
        '--measure-latency',
        'report the device → stored latency of telemetry (benchmarks)',
      ).hideHelp(),
    )
    .action(async (o) => {
      const tty = process.stdout.isTTY;
      const log = (level: string, message: string) => {
        if (level === 'info' && !message.startsWith('broker')) return;
        process.stderr.write(`${tty ? '\r\x1b[K' : ''}${level === 'info' ? '' : `${level}: `}${message}\n`);
      };
      console.log('starting aiot locally …');
      const rt = await LocalRuntime.start({
        devices: o.devices,
        durationS: o.duration,
        rateHz: o.rate,
        seed: o.seed,
        scenario: o.scenario ? loadScenario(o.scenario) : undefined,
        webPort: o.port,
        mqttPort: o.mqttPort,
        brokerUrl: o.broker,
        dataDir: o.data,
        pipelineThreads: o.pipelineThreads,
        storeFaults: o.injectStoreFaults,
        reportStoredTimes: o.measureLatency,
        log,
      });
      const s = rt.status();
      console.log(`dashboard  ${s.dashboardUrl}`);
      console.log(
        `mqtt       ${s.brokerUrl}  (devices publish on dt/aiot/<site>/<deviceId>/telemetry, client id = device id)`,
      );
      console.log(`query API  ${s.dashboardUrl}/api/devices  (OpenAPI: ${s.dashboardUrl}/api/openapi.json)`);
      console.log(o.duration ? `running for ${o.duration}s; Ctrl+C stops earlier` : 'running; Ctrl+C stops');

      const ticker = setInterval(
        () =>
          tty
            ? process.stdout.write(`\r\x1b[K${statusLine(rt.status())}`)
            : console.log(statusLine(rt.status())),
        tty ? 500 : 5000,
      );
      let signalled = false;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = () => {
          if (signalled) {
            console.error('\nforced exit');
            process.exit(130);
          }
          signalled = true;
          console.log(`${tty ? '\n' : ''}stopping (Ctrl+C again to force) …`);
          resolve();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      await Promise.race([stopped, o.duration ? rt.finished() : new Promise<never>(() => {})]);
      clearInterval(ticker);
      if (tty) process.stdout.write('\n');
      console.log('draining the pipeline …');
      const report = await rt.stop();
      const file = path.resolve(o.report);
      fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      const m = report.messages;
      const d = report.detection;
      console.log(
        `messages: ${m.published} published${m.replayed ? ` (${m.replayed} from the previous run's stream log)` : ''}, ${m.stored} stored, ${m.quarantined} quarantined, ${m.lost} lost · ` +
          `${report.throughput.messagesPerSecond} msg/s`,
      );
      console.log(
        `detection: ${d.detected}/${d.injected} faults detected, ${d.falseAlarms} false alarms ` +
          `(${d.healthyDeviceAlarms} on healthy devices, ${d.healthyAlarmsPerDeviceHour ?? '–'} per device-hour), ` +
          `mean time to detect ${d.meanTimeToDetectSeconds ?? '–'} s · workflows ${report.workflows.started} started, ` +
          `${report.workflows.succeeded} succeeded, ${report.workflows.failed} failed`,
      );
      console.log(
        `work orders: ${report.workOrders.opened} opened, ${report.workOrders.onHealthyDevices} on healthy devices`,
      );
      const f = rt.fleetSummary;
      if (f && (f.droppedReadings > 0 || f.undeliveredMessages > 0)) {
        console.log(
          `devices: ${f.droppedReadings} readings dropped at full queues, ${f.undeliveredMessages} messages left queued in ${f.stateDir}`,
        );
      }
      console.log(`report     ${file}`);
      // Sockets of the SDK's native client may hold the loop; the run is over.
      process.exit(m.lost === 0 ? 0 : 2);
    });
}
