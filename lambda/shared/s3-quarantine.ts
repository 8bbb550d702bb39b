import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Quarantine, QuarantineItem } from '../../core/ports';

/**
 * The Quarantine port on S3: one JSON Lines object per call under
 * `quarantine/<source>/yyyy/mm/dd/`, each line an item with its reason. The bucket is
 * KMS-encrypted and its lifecycle keeps the evidence for the configured time.
 */
export class S3Quarantine implements Quarantine {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(items: readonly QuarantineItem[]): Promise<void> {
    if (items.length === 0) return;
    const d = this.now();
    const day = d.toISOString().slice(0, 10).replace(/-/g, '/');
    const source = items[0]!.source.replace(/[^a-zA-Z0-9_-]/g, '_');
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `quarantine/${source}/${day}/${d.getTime()}-${randomUUID()}.jsonl`,
        Body: items.map((i) => JSON.stringify(i)).join('\n') + '\n',
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}
