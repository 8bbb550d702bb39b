import {
  GetObjectCommand,
  type GetObjectCommandInput,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory Amazon S3 for the object and quarantine adapters: PutObject stores (and replaces)
 * the bytes under bucket and key; GetObject answers them, or NoSuchKey for a key never written
 * and NoSuchBucket for an unknown bucket
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Not modelled: versioning,
 * encryption, conditional requests, multipart uploads, object size limits.
 */
export class S3Model {
  /** While true, every call fails as a network error would. */
  unreachable = false;
  private readonly buckets = new Map<string, Map<string, { body: Buffer; contentType?: string }>>();

  constructor(buckets: readonly string[]) {
    for (const b of buckets) this.buckets.set(b, new Map());
  }

  attach(client: S3Client): void {
    const mock = mockClient(client);
    mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => this.put(input));
    mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => this.get(input));
  }

  /** Keys under a prefix with their bodies as text, in key order (what a ListObjectsV2 + GetObject would see). */
  list(bucket: string, prefix = ''): { key: string; body: string; contentType?: string }[] {
    return [...this.bucket(bucket).entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, o]) => ({ key, body: o.body.toString('utf8'), contentType: o.contentType }));
  }

  private bucket(name: string | undefined) {
    const b = this.buckets.get(name ?? '');
    if (!b)
      throw new NoSuchBucket({
        message: 'The specified bucket does not exist',
        $metadata: { httpStatusCode: 404 },
      });
    return b;
  }

  private check(): void {
    if (this.unreachable) {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
        code: 'ECONNREFUSED',
        $metadata: {},
      });
    }
  }

  private async put(input: PutObjectCommandInput) {
    this.check();
    const body = input.Body;
    const bytes =
      typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : body instanceof Uint8Array
          ? Buffer.from(body)
          : undefined;
    if (!bytes) throw new Error('the model takes string or byte bodies only');
    this.bucket(input.Bucket).set(input.Key!, { body: bytes, contentType: input.ContentType });
    return { $metadata: {}, ETag: `"${bytes.length}"` };
  }

  private async get(input: GetObjectCommandInput) {
    this.check();
    const o = this.bucket(input.Bucket).get(input.Key!);
    if (!o)
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    const bytes = o.body;
    return {
      $metadata: {},
      ContentType: o.contentType,
      ContentLength: bytes.length,
      // The SDK's stream mixin offers these on the body; the adapters read it as text.
      Body: {
        transformToString: async (encoding?: BufferEncoding) => bytes.toString(encoding ?? 'utf8'),
        transformToByteArray: async () => new Uint8Array(bytes),
      },
    } as never;
  }
}

export function s3Backend(buckets: readonly string[]): { model: S3Model; client: S3Client } {
  const model = new S3Model(buckets);
  const client = new S3Client({ region: 'us-east-1' });
  model.attach(client);
  return { model, client };
}
