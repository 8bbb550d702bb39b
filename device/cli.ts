import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DeviceAgent } from './agent';
import type { BrokerEndpoint, IotCoreEndpoint } from './connection';
import { CachedDiscovery, GreengrassDiscovery } from './discovery';
import { provisionByClaim } from './provisioning';
import { registerFleetCommands } from './registry';
import { Fleet, type FleetProgress, type FleetSummary } from './simulator/fleet';
import { RotatingMachine } from './simulator/machine';
import { loadScenario, MACHINE_UNITS, type ScenarioInput } from './simulator/scenario';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const nonNegativeInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

function progressLine(p: FleetProgress): string {
  return (
    `[${p.elapsedS.toFixed(0).padStart(4)}s/${p.durationS}s] connected ${p.connected}/${p.devices} · ` +
    `readings ${p.readings} · delivered ${p.deliveredReadings} · queued msgs ${p.queuedMessages} · ` +
    `dropped ${p.droppedReadings} · faults active ${p.activeFaults}`
  );
}

function summaryText(s: FleetSummary): string {
  const faults = Object.entries(s.faults)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `simulated ${s.devices} devices on site ${s.site} for ${s.durationS}s (seed ${s.seed})`,
    `  readings      ${s.readings} in ${s.messages} messages`,
    `  delivered     ${s.deliveredReadings} readings in ${s.deliveredMessages} messages`,
    `  undelivered   ${s.undeliveredMessages} messages${s.undeliveredMessages ? ` (kept in ${s.stateDir})` : ''}`,
    `  dropped       ${s.droppedReadings} readings (store-and-forward bound)`,
    `  reconnects    ${s.reconnects}`,
    `  commands      ${s.commandsApplied} applied`,
    `  faults        ${s.truth.length}${faults ? ` (${faults})` : ''}`,
    ...(s.truthFile ? [`  ground truth  ${s.truthFile}`] : []),
  ].join('\n');
}

/** Adds the device-side commands to the `aiot` CLI: `simulate` and the `fleet` registry commands. */
export function registerDeviceCommands(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a fleet of simulated rotating machines, each a device agent, against an MQTT broker, with injected faults',
    )
    .requiredOption('--broker <url>', 'broker URL, e.g. mqtt://127.0.0.1:1883 (TLS-less local broker)')
    .option('--devices <n>', 'number of devices (overrides the scenario)', positiveInt('--devices'))
    .option('--duration <s>', 'run time in seconds (overrides the scenario)', positiveNumber('--duration'))
    .option(
      '--rate <hz>',
      'readings per second per device (overrides the scenario)',
      positiveNumber('--rate'),
    )
    .option('--seed <k>', 'random seed: the same seed gives the same run', nonNegativeInt('--seed'))
    .option('--scenario <file>', 'scenario JSON (see device/scenarios/demo.json and docs/devices.md)')
    .option('--truth <file>', 'write the ground truth of every injected fault to this JSON file')
    .option('--state-dir <dir>', 'where device queues live (default: a temporary directory)')
    .addOption(
      new Option('--ingest <mode>', 'telemetry topic: plain, or basic (IoT Core Basic Ingest)')
        .choices(['plain', 'basic'])
        .default('plain'),
    )
    .option('--stage <stage>', 'deployment stage (names the Basic Ingest rule)', 'dev')
    .option('--json', 'print the summary as JSON instead of text')
    .action(async (opts) => {
      const scenario: ScenarioInput | undefined = opts.scenario ? loadScenario(opts.scenario) : undefined;
      const tty = process.stderr.isTTY;
      let lastLine = 0;
      const fleet = new Fleet({
        broker: opts.broker,
        scenario,
        devices: opts.devices,
        durationS: opts.duration,
        rateHz: opts.rate,
        seed: opts.seed,
        truthFile: opts.truth ? resolve(opts.truth) : undefined,
        stateDir: opts.stateDir ? resolve(opts.stateDir) : undefined,
        ingest: opts.ingest,
        stage: opts.stage,
        logger: (level, message) => {
          if (level === 'info') return;
          if (tty) process.stderr.write('\n');
          process.stderr.write(`${level}: ${message}\n`);
        },
        onProgress: (p) => {
          // On a terminal one line redrawn in place; in a log a line every ten seconds.
          if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K`);
          else if (p.elapsedS - lastLine >= 10 || p.elapsedS >= p.durationS) {
            lastLine = p.elapsedS;
            process.stderr.write(`${progressLine(p)}\n`);
          }
        },
      });
      const s = fleet.scenario;
      process.stderr.write(
        `connecting ${s.devices} devices to ${opts.broker} (site ${s.site}, ${s.rateHz} Hz, ${s.durationS}s, seed ${s.seed}, ${fleet.groundTruth.length} faults)\n`,
      );
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
        process.stderr.write('\nstopping: draining device queues…\n');
        void fleet.stop();
      };
      process.once('SIGINT', onSignal);
      try {
        await fleet.start();
        await fleet.done;
        const summary = await fleet.stop();
        if (tty) process.stderr.write('\n');
        if (interrupted) process.stderr.write('run interrupted before its duration\n');
        if (opts.json) {
          const { perDevice: _perDevice, ...rest } = summary;
          process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
        } else process.stdout.write(`${summaryText(summary)}\n`);
        if (summary.undeliveredMessages > 0 || summary.droppedReadings > 0) process.exitCode = 2;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });

  registerFleetCommands(program);
  registerAgentCommands(program);
}

function readJson(path: string, what: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`${what} ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${what} ${path} is not JSON: ${(e as Error).message}`);
  }
}

/** `aiot device …`: what runs on a device — provisioning by claim and the agent itself. */
function registerAgentCommands(program: Command): void {
  const device = program
    .command('device')
    .description('on a device: provision by claim, run the device agent');

  device
    .command('provision')
    .description(
      "exchange the claim certificate for the device's own identity (CreateKeysAndCertificate + RegisterThing)",
    )
    .requiredOption(
      '--claim-dir <dir>',
      'directory written by `aiot fleet onboard` (provisioning.json, claim cert and key)',
    )
    .requiredOption('--serial <serial>', 'serial number: becomes the thing name')
    .requiredOption('--site <site>', 'site of the device (thing attribute)')
    .option('--out <dir>', 'where to write device.cert.pem, device.private.key (0600) and device.json', '.')
    .option('--ca <file>', 'Amazon Root CA file (default: the system trust store)')
    .option('--broker <url>', 'a local broker URL instead of IoT Core (for trying the flow locally)')
    .action(async (opts) => {
      const claimDir = resolve(opts.claimDir);
      const cfg = readJson(resolve(claimDir, 'provisioning.json'), 'provisioning config');
      const claim: Parameters<typeof provisionByClaim>[0]['claim'] = opts.broker
        ? { kind: 'url', url: opts.broker }
        : {
            kind: 'iot-core',
            endpoint: String(cfg.endpoint),
            certPath: resolve(claimDir, String(cfg.claimCertPath ?? 'claim.cert.pem')),
            keyPath: resolve(claimDir, String(cfg.claimKeyPath ?? 'claim.private.key')),
            caPath: opts.ca ? resolve(opts.ca) : undefined,
          };
      process.stderr.write(`… provisioning ${opts.serial} with template ${cfg.templateName}\n`);
      const id = await provisionByClaim({
        claim,
        templateName: String(cfg.templateName),
        serialNumber: opts.serial,
        site: opts.site,
        outDir: opts.out,
      });
      process.stdout.write(
        `provisioned ${id.thingName} (certificate ${id.certificateId})\n  wrote ${id.certPath}\n  wrote ${id.keyPath} (owner-only)\n  wrote ${id.configPath}\n`,
      );
    });

  device
    .command('run')
    .description(
      'run the device agent: readings from stdin (one JSON {"ts","values"} per line) or from a simulated machine',
    )
    .requiredOption('--config <file>', 'device.json written by `aiot device provision`')
    .option('--broker <url>', 'a local broker URL instead of IoT Core (TLS-less)')
    .option(
      '--discover <region>',
      "find the site's Greengrass core by discovery in this Region and connect to it (IoT Core directly when none answers)",
    )
    .option('--stage <stage>', 'deployment stage (names the Basic Ingest rule)', 'dev')
    .option('--state-dir <dir>', 'store-and-forward queue directory', '.aiot/device')
    .option('--units <list>', 'units of the stdin measures: name=unit,name=unit')
    .option('--simulate', 'read a simulated rotating machine instead of stdin')
    .option('--rate <hz>', 'sampling rate with --simulate', positiveNumber('--rate'), 1)
    .action(async (opts) => {
      const configPath = resolve(opts.config);
      const cfg = readJson(configPath, 'device config');
      const base = dirname(configPath);
      const stateDir = resolve(opts.stateDir);
      const direct: IotCoreEndpoint = {
        kind: 'iot-core',
        endpoint: String(cfg.endpoint),
        certPath: resolve(base, String(cfg.certPath)),
        keyPath: resolve(base, String(cfg.keyPath)),
        caPath: cfg.caPath ? resolve(base, String(cfg.caPath)) : undefined,
      };
      let broker: BrokerEndpoint = direct;
      let discovery: GreengrassDiscovery | undefined;
      if (opts.broker) broker = { kind: 'url', url: opts.broker };
      else if (opts.discover) {
        mkdirSync(stateDir, { recursive: true });
        discovery = new GreengrassDiscovery({ ...direct, region: String(opts.discover) });
        broker = { kind: 'greengrass', discovery: new CachedDiscovery(discovery, stateDir), direct };
      }
      let units: Record<string, string> = MACHINE_UNITS;
      if (!opts.simulate) {
        if (!opts.units) throw new Error('--units is required when reading stdin (e.g. --units temp_c=degC)');
        units = Object.fromEntries(
          String(opts.units)
            .split(',')
            .map((pair) => {
              const [name, unit] = pair.split('=');
              if (!name || !unit) throw new Error(`--units: "${pair}" is not name=unit`);
              return [name.trim(), unit.trim()];
            }),
        );
      }
      const agent = new DeviceAgent({
        deviceId: String(cfg.deviceId),
        site: String(cfg.site),
        broker,
        units,
        stage: opts.stage,
        stateDir,
        samplingHz: opts.rate,
        logger: (level, message) => process.stderr.write(`${level}: ${message}\n`),
      });
      await agent.start();
      process.stderr.write(`${agent.deviceId} connected; publishing on ${agent.topic}\n`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await agent.stop();
        discovery?.close();
        const s = agent.stats();
        process.stderr.write(
          `stopped: ${s.readings} readings, ${s.deliveredReadings} delivered, ${s.queued} queued, ${s.droppedReadings} dropped\n`,
        );
      };
      if (opts.simulate) {
        const machine = new RotatingMachine({ seed: 1, index: 0 });
        const t0 = Date.now();
        let last = t0;
        const loop = () => {
          if (stopping) return;
          const now = Date.now();
          agent.record(now, machine.step((now - t0) / 1000, (now - last) / 1000, [], agent.safeMode));
          last = now;
          setTimeout(loop, 1000 / agent.samplingHz);
        };
        loop();
        await new Promise<void>((r) => process.once('SIGINT', () => r()));
      } else {
        const lines = createInterface({ input: process.stdin });
        let lineNo = 0;
        for await (const line of lines) {
          lineNo++;
          if (!line.trim()) continue;
          try {
            const r = JSON.parse(line) as { ts?: number; values?: Record<string, number> };
            if (!r.values || typeof r.values !== 'object') throw new Error('no "values" object');
            agent.record(typeof r.ts === 'number' ? r.ts : Date.now(), r.values);
          } catch (e) {
            process.stderr.write(`stdin line ${lineNo} skipped: ${(e as Error).message}\n`);
          }
        }
      }
      await stop();
    });
}
