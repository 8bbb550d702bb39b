/** Object storage by `s3://bucket/key` URI (S3 in AWS, memory or disk locally). */
export interface ObjectStore {
  get(uri: string): Promise<string | undefined>;
  put(uri: string, body: string): Promise<void>;
}

/** Bucket and key of an `s3://bucket/key` URI; anything else is refused, by every adapter. */
export function parseS3Uri(uri: string): { Bucket: string; Key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3://bucket/key URI: ${uri}`);
  return { Bucket: m[1]!, Key: m[2]! };
}
