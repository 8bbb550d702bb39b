import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import type { InboundMessage } from './broker';

/** A message the log holds, with its position in the log. */
export interface LoggedMessage extends InboundMessage {
  readonly id: number;
}

interface Row {
  id: number;
  topic: string;
  payload: Buffer;
  client_id: string;
  received_at: number;
}

/**
 * A commit has a fixed cost (its WAL frames, the write): what arrives within this many
 * milliseconds is committed together, at the price of as much on the acknowledgement.
 */
const GROUP_MS = 2;
/** A group this large is committed at once. */
const MAX_GROUP = 1000;

interface Staged {
  readonly message: InboundMessage;
  readonly resolve: (logged: LoggedMessage) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The durable part of the local stream, as Kinesis is in AWS: the broker acknowledges a publish
 * only once it is written here, and a message leaves the log only when the pipeline has stored
 * or quarantined it. A runtime killed mid-stream finds what it had acknowledged and not finished
 * here when it starts again, and runs it through the pipeline first.
 *
 * Writes are grouped: what arrives within a couple of milliseconds is committed in one
 * transaction (and the acknowledgements go out after it), with the completions reported since the
 * last one. The file is the log's own, so the broker's thread never waits for the store's writers.
 * WAL with `synchronous = NORMAL`: a commit survives the process being killed, not a power cut.
 */
export class StreamLog {
  private readonly insert: Statement<[string, Buffer, string, number]>;
  private readonly remove: Statement<[number, number]>;
  private readonly commit: (
    staged: readonly Staged[],
    done: readonly number[],
  ) => { ids: number[]; removed: number };
  private staged: Staged[] = [];
  private completed: number[] = [];
  private scheduled = false;
  private held = 0;

  private constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS stream (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      client_id TEXT NOT NULL,
      received_at INTEGER NOT NULL
    )`);
    this.insert = db.prepare(
      'INSERT INTO stream (topic, payload, client_id, received_at) VALUES (?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM stream WHERE id >= ? AND id <= ?');
    this.commit = db.transaction((staged: readonly Staged[], done: readonly number[]) => {
      const ids = staged.map(
        ({ message: m }) =>
          this.insert.run(m.topic, m.payload, m.clientId, m.receivedAt).lastInsertRowid as number,
      );
      // Completions come nearly in order: removed as runs of consecutive ids, one statement a run.
      let removed = 0;
      const sorted = [...done].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1]! <= sorted[j]! + 1) j++;
        removed += this.remove.run(sorted[i]!, sorted[j]!).changes;
        i = j + 1;
      }
      return { ids, removed };
    });
    this.held = (db.prepare('SELECT count(*) AS n FROM stream').get() as { n: number }).n;
  }

  /** Opens (or creates) the log in `file`. */
  static open(file: string): StreamLog {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new BetterSqlite3(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      return new StreamLog(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Messages written (or being written) and not yet finished, those an earlier run left included. */
  get size(): number {
    return this.held + this.staged.length - this.completed.length;
  }

  /** Messages waiting for the next commit. */
  get staging(): number {
    return this.staged.length;
  }

  /** What an earlier run acknowledged and did not finish, oldest first. */
  leftOver(): LoggedMessage[] {
    return (this.db.prepare('SELECT * FROM stream ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id,
      topic: r.topic,
      payload: r.payload,
      clientId: r.client_id,
      receivedAt: r.received_at,
    }));
  }

  /** Writes a message; resolves once it is committed (then it may be acknowledged). */
  append(message: InboundMessage): Promise<LoggedMessage> {
    return new Promise((resolve, reject) => {
      this.staged.push({ message, resolve, reject });
      this.schedule();
    });
  }

  /** The pipeline is done with these messages (stored or quarantined): they leave with the next commit. */
  complete(ids: readonly number[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.completed.push(id);
    this.schedule();
  }

  /** Commits what is waiting now, without waiting for the end of the turn. */
  flush(): void {
    this.scheduled = false;
    const staged = this.staged;
    const done = this.completed;
    if (staged.length === 0 && done.length === 0) return;
    this.staged = [];
    this.completed = [];
    let ids: number[];
    try {
      const written = this.commit(staged, done);
      ids = written.ids;
      this.held += staged.length - written.removed;
    } catch (e) {
      // Nothing of this group was written: its publishes are refused (the client sends them
      // again) and its completions wait for the next commit.
      this.completed.push(...done);
      for (const s of staged) s.reject(e);
      return;
    }
    for (let i = 0; i < staged.length; i++) staged[i]!.resolve({ ...staged[i]!.message, id: ids[i]! });
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private schedule(): void {
    if (this.staged.length >= MAX_GROUP) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.flush(), GROUP_MS);
  }
}
