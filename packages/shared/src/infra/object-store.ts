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
  /**
   * A presigned POST (an HTML-form upload) for exactly `key`, whose policy S3 enforces: the body's size
   * within 1…`maxBytes`, this Content-Type, until `ttlSeconds` from now. The uploader sends `fields`
   * first and the file last as multipart/form-data to `url`.
   */
  presignPost(key: string, opts: PresignPostOptions): Promise<PresignedPost>;
  /** Throws when the bucket cannot be reached (readiness checks). */
  ping(): Promise<void>;
}

export interface PresignPostOptions {
  contentType: string;
  maxBytes: number;
  ttlSeconds: number;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}
