import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

export interface AthenaRunOptions {
  readonly workGroup: string;
  /** Pause between status checks. @default 1000 ms */
  readonly pollMs?: number;
  /** Give up after this long. @default 10 minutes */
  readonly timeoutMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly clock?: () => number;
}

export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one statement in the workgroup (its result location and encryption are enforced there)
 * and waits for it: StartQueryExecution, then GetQueryExecution until a final state
 * (https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html).
 * Returns the execution id; a failed or cancelled query throws with Athena's reason.
 */
export async function runAthena(client: AthenaClient, sql: string, o: AthenaRunOptions): Promise<string> {
  const sleep = o.sleep ?? realSleep;
  const clock = o.clock ?? Date.now;
  const started = await client.send(
    new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: o.workGroup }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new AthenaQueryError('Athena returned no query execution id');
  const deadline = clock() + (o.timeoutMs ?? 600_000);
  for (;;) {
    const res = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = res.QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') return id;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new AthenaQueryError(
        `Athena query ${id} ${state.toLowerCase()}: ${res.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
      );
    }
    if (clock() >= deadline)
      throw new AthenaQueryError(`Athena query ${id} still ${state ?? 'unknown'} at the deadline`);
    await sleep(o.pollMs ?? 1000);
  }
}

/** Runs a SELECT and returns its rows as text (null for SQL NULL), header row removed. */
export async function selectAthena(
  client: AthenaClient,
  sql: string,
  o: AthenaRunOptions,
): Promise<(string | null)[][]> {
  const id = await runAthena(client, sql, o);
  const rows: (string | null)[][] = [];
  let NextToken: string | undefined;
  let first = true;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken }));
    for (const row of page.ResultSet?.Rows ?? []) {
      // The first row of a SELECT's first page holds the column names.
      if (first) {
        first = false;
        continue;
      }
      rows.push((row.Data ?? []).map((d) => d.VarCharValue ?? null));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return rows;
}
