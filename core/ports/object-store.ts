/** Object storage by `s3://bucket/key` URI (S3 in AWS, memory or disk locally). */
export interface ObjectStore {
  get(uri: string): Promise<string | undefined>;
  put(uri: string, body: string): Promise<void>;
}
