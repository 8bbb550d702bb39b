import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Quarantine, QuarantineItem } from '../../core/ports';

/**
 * The Quarantine port on S3: one JSON Lines object per call and source under
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
    const d = this.now();
    const day = d.toISOString().slice(0, 10).replace(/-/g, '/');
    // Each source under its own prefix, also when one call holds several.
    const bySource = new Map<string, QuarantineItem[]>();
    for (const item of items) {
      const source = item.source.replace(/[^a-zA-Z0-9_-]/g, '_');
      bySource.set(source, [...(bySource.get(source) ?? []), item]);
    }
    for (const [source, group] of bySource) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `quarantine/${source}/${day}/${d.getTime()}-${randomUUID()}.jsonl`,
          Body: group.map((i) => JSON.stringify(i)).join('\n') + '\n',
          ContentType: 'application/x-ndjson',
        }),
      );
    }
  }
}
