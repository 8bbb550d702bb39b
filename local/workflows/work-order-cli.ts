import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import type { WorkOrderStore } from '../../core/ports';
import { WORK_ORDER_STATUSES, type WorkOrder, WorkOrderStatusSchema } from '../../core/workorders';
import { DynamoDbWorkOrderStore } from '../../lambda/shared/dynamodb-work-orders';
import { SqliteWorkOrderStore } from './sqlite-work-orders';

/** Where the command finds the orders: the local runtime's SQLite file, or the stack's DynamoDB table. */
interface StoreOptions {
  readonly table?: string;
  readonly db?: string;
}

async function openStore(opts: StoreOptions): Promise<WorkOrderStore> {
  if (opts.table)
    return new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), opts.table);
  return new SqliteWorkOrderStore(new Database(path.resolve(opts.db ?? '.aiot/aiot.db')));
}

function line(o: WorkOrder): string {
  const when = new Date(o.openedAt).toISOString().replace('.000Z', 'Z');
  return `${o.id}  ${o.status.padEnd(12)} ${o.severity.padEnd(8)} ${o.site}/${o.deviceId}  opened ${when}${o.label ? `  label ${o.label}` : ''}`;
}

/**
 * `aiot work-orders`: how an operator lists, confirms and closes work orders. Confirming labels
 * the anomaly as real, closing with `--false-alarm` labels it as not; retraining judges models on
 * exactly these labels.
 */
export function registerWorkOrderCommands(program: Command): void {
  const group = program
    .command('work-orders')
    .description('list, confirm and close work orders (local SQLite by default, DynamoDB with --table)');
  const withStore = (c: Command) =>
    c
      .option(
        '--table <name>',
        'the stack’s work-order DynamoDB table (AWS credentials from the environment)',
      )
      .option('--db <file>', 'the local runtime’s database', '.aiot/aiot.db');

  withStore(group.command('list').description('list work orders, newest first'))
    .option('--status <status>', `only this status (${WORK_ORDER_STATUSES.join(', ')})`)
    .option('--limit <n>', 'page size (1-100)', '25')
    .option('--cursor <cursor>', 'continue after a previous page')
    .action(async (opts: StoreOptions & { status?: string; limit: string; cursor?: string }) => {
      const status = opts.status === undefined ? undefined : WorkOrderStatusSchema.parse(opts.status);
      const page = await (await openStore(opts)).list({
        status,
        limit: Number(opts.limit),
        cursor: opts.cursor,
      });
      for (const o of page.items) process.stdout.write(`${line(o)}\n`);
      if (page.cursor) process.stdout.write(`more: --cursor ${page.cursor}\n`);
    });

  withStore(group.command('confirm <id>').description('confirm a real anomaly (labels it for retraining)'))
    .option('--note <text>', 'what was found')
    .action(async (id: string, opts: StoreOptions & { note?: string }) => {
      const order = await (await openStore(opts)).updateStatus(id, {
        status: 'confirmed',
        at: Date.now(),
        label: 'anomaly',
        ...(opts.note ? { note: opts.note } : {}),
      });
      process.stdout.write(`${line(order)}\n`);
    });

  withStore(group.command('close <id>').description('close a work order (resolved, or a false alarm)'))
    .option('--false-alarm', 'the anomaly was not real (labels it for retraining)')
    .option('--note <text>', 'how it was resolved')
    .action(async (id: string, opts: StoreOptions & { falseAlarm?: boolean; note?: string }) => {
      const order = await (await openStore(opts)).updateStatus(id, {
        status: 'closed',
        at: Date.now(),
        ...(opts.falseAlarm ? { label: 'false-alarm' as const } : {}),
        ...(opts.note ? { note: opts.note } : {}),
      });
      process.stdout.write(`${line(order)}\n`);
    });
}
