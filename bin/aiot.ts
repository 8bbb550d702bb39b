#!/usr/bin/env -S npx tsx
/**
 * `aiot`: the project's command-line tool. Each area registers its own subcommands; every
 * subcommand has `--help`.
 */
import { Command } from 'commander';
import { telemetryJsonSchema } from '../core/telemetry';
import { registerDeviceCommands } from '../device/cli';
import { registerLocalCommands } from '../local/cli';
import { registerReliabilityCommand } from '../local/reliability/cli';
import { registerWorkOrderCommands } from '../local/workflows/work-order-cli';
import { registerCostCommands } from './cost';

const program = new Command()
  .name('aiot')
  .description(
    'aiot: AWS-native AIoT platform — local runtime, fleet simulator, benchmarks, onboarding, cost',
  )
  .showHelpAfterError();

program
  .command('schema')
  .description('print the telemetry contract as JSON Schema (for device makers)')
  .action(() => {
    process.stdout.write(`${JSON.stringify(telemetryJsonSchema(), null, 2)}\n`);
  });

registerDeviceCommands(program);
registerLocalCommands(program);
registerReliabilityCommand(program);
registerWorkOrderCommands(program);
registerCostCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`aiot: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
