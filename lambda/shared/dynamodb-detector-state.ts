import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type DetectorStateJson,
  type DetectorStateStore,
  encodeDetectorState,
  lastPerDevice,
  type PutDetectorStatesResult,
  type RefusedDetectorState,
  type SavedDetectorState,
} from '../../core/ports';

/**
 * DynamoDB's limits this adapter keeps (API reference, BatchGetItem and BatchWriteItem): at most
 * 100 keys a BatchGetItem, 25 puts a BatchWriteItem, what the service could not process comes
 * back as UnprocessedKeys / UnprocessedItems to send again; an item is at most 400 KB, the
 * lengths of attribute names and values added up, a binary value counted by its raw bytes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
export const DYNAMODB_LIMITS = { batchGetKeys: 100, batchWriteItems: 25, itemBytes: 400 * 1024 } as const;

/** The table's attribute names (the key is `deviceId`; `expiresAt` is its TTL attribute). */
export const DETECTOR_STATE_ATTRIBUTES = {
  key: 'deviceId',
  state: 'state',
  savedAt: 'savedAt',
  ttl: 'expiresAt',
} as const;

export interface DynamoDbDetectorStateOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** A device silent this long loses its state (TTL) and relearns. @default 30 days */
  readonly retentionMs?: number;
  /** Rounds of resending unprocessed keys or items before the call fails. @default 5 */
  readonly maxAttempts?: number;
  /** Waits between rounds (exponential backoff, as DynamoDB advises); injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const DAY_MS = 86_400_000;

/**
 * The DetectorStateStore port on DynamoDB: one item per device, the state as gzip-compressed JSON
 * in a binary attribute (a write is billed per KB written, and detector state compresses well),
 * with a TTL so the states of retired devices go away by themselves. Reads are strongly
 * consistent: a warm start must see the last save.
 */
export class DynamoDbDetectorStateStore implements DetectorStateStore {
  private readonly retentionMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DynamoDbDetectorStateOptions) {
    this.retentionMs = options.retentionMs ?? 30 * DAY_MS;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async getMany(deviceIds: readonly string[]): Promise<Map<string, SavedDetectorState>> {
    const out = new Map<string, SavedDetectorState>();
    const unique = [...new Set(deviceIds)];
    const { tableName } = this.options;
    for (let i = 0; i < unique.length; i += DYNAMODB_LIMITS.batchGetKeys) {
      let keys: Record<string, unknown>[] = unique
        .slice(i, i + DYNAMODB_LIMITS.batchGetKeys)
        .map((deviceId) => ({ [DETECTOR_STATE_ATTRIBUTES.key]: deviceId }));
      for (let attempt = 1; keys.length > 0; attempt++) {
        const res = await this.options.client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of res.Responses?.[tableName] ?? []) {
          const saved = decode(item);
          out.set(saved.deviceId, saved);
        }
        keys = (res.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        if (keys.length === 0) break;
        if (attempt >= this.maxAttempts) {
          throw new Error(`DynamoDB left ${keys.length} detector states unread after ${attempt} attempts`);
        }
        await this.sleep(backoff(attempt));
      }
    }
    return out;
  }

  async putMany(states: readonly SavedDetectorState[]): Promise<PutDetectorStatesResult> {
    const refused: RefusedDetectorState[] = [];
    const items: Record<string, unknown>[] = [];
    for (const s of lastPerDevice(states)) {
      const encoded = encodeDetectorState(s);
      if (!encoded.ok) {
        refused.push(encoded.refusal);
        continue;
      }
      const item = {
        [DETECTOR_STATE_ATTRIBUTES.key]: s.deviceId,
        [DETECTOR_STATE_ATTRIBUTES.state]: gzipSync(encoded.json),
        [DETECTOR_STATE_ATTRIBUTES.savedAt]: s.savedAt,
        [DETECTOR_STATE_ATTRIBUTES.ttl]: Math.floor((s.savedAt + this.retentionMs) / 1000),
      };
      const bytes = itemBytes(item);
      if (bytes > DYNAMODB_LIMITS.itemBytes) {
        refused.push({
          deviceId: s.deviceId,
          reason: 'too-large',
          detail: `item of ${bytes} bytes exceeds DynamoDB's ${DYNAMODB_LIMITS.itemBytes}-byte item limit`,
        });
        continue;
      }
      items.push(item);
    }
    const { tableName } = this.options;
    for (let i = 0; i < items.length; i += DYNAMODB_LIMITS.batchWriteItems) {
      let requests: Record<string, unknown>[] = items
        .slice(i, i + DYNAMODB_LIMITS.batchWriteItems)
        .map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        const res = await this.options.client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }),
        );
        requests = (res.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined) ?? [];
        if (requests.length === 0) break;
        if (attempt >= this.maxAttempts) {
          throw new Error(
            `DynamoDB left ${requests.length} detector states unwritten after ${attempt} attempts`,
          );
        }
        await this.sleep(backoff(attempt));
      }
    }
    return { saved: items.length, refused };
  }
}

const backoff = (attempt: number) => Math.min(2000, 50 * 2 ** attempt);

function decode(item: Record<string, unknown>): SavedDetectorState {
  const raw = item[DETECTOR_STATE_ATTRIBUTES.state] as Uint8Array;
  return {
    deviceId: String(item[DETECTOR_STATE_ATTRIBUTES.key]),
    savedAt: Number(item[DETECTOR_STATE_ATTRIBUTES.savedAt]),
    state: JSON.parse(gunzipSync(raw).toString('utf8')) as DetectorStateJson,
  };
}

/**
 * An item's size as DynamoDB counts it: each attribute name's UTF-8 bytes plus its value's
 * (strings in UTF-8, binary raw, numbers about one byte per two digits plus one).
 */
function itemBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) {
    n += Buffer.byteLength(name, 'utf8');
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'number') n += Math.ceil(String(Math.abs(v)).replace('.', '').length / 2) + 1;
    else n += Buffer.byteLength(String(v), 'utf8');
  }
  return n;
}
