import type { Readable } from 'node:stream';

/** What Foley needs from an S3 bucket. The adapter is `createS3ObjectStore` in s3.ts. */
export interface ObjectStore {
  readonly bucket: string;
  /**
   * Streams `body` to `key` (multipart for large bodies; memory does not grow with size) and returns
   * the byte count and the base64 SHA-256 of what was stored. Throws PipelineError('storage_error',
   * retryable) on S3 failures.
   */
  upload(
    key: string,
    body: Readable,
    opts: { contentType: string; fileName?: string },
  ): Promise<{ size: number; sha256: string }>;
  /** Writes a small text object (manifests). */
  putText(key: string, text: string, contentType: string): Promise<void>;
  /** A presigned GET URL valid for `ttlSeconds` (defaults to the store's configured TTL). */
  presignGet(key: string, opts?: { ttlSeconds?: number; fileName?: string }): Promise<string>;
  /** A presigned PUT URL (the CLI uploads local files with it). */
  presignPut(key: string, opts: { contentType: string; ttlSeconds?: number }): Promise<string>;
  /** Throws when the bucket cannot be reached (readiness checks). */
  ping(): Promise<void>;
}
