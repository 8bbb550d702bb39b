import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ObjectStore, parseS3Uri } from '../../core/ports';

/** The ObjectStore port on S3 (buckets encrypt with their default KMS key). */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async get(uri: string): Promise<string | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand(parseS3Uri(uri)));
      return await res.Body!.transformToString('utf8');
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  async put(uri: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ ...parseS3Uri(uri), Body: body, ContentType: 'text/plain' }),
    );
  }
}
