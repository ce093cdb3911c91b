import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PipelineError } from '../errors';
import { contentDisposition } from './content-disposition';
import type { ObjectStore } from './object-store';

/** The parsed `s3Env` fragment of a process config (config.ts) that the client needs. */
export interface S3ClientSettings {
  S3_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: boolean;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
}

export const UPLOAD_PART_SIZE = 8 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 2;

export function createS3Client(cfg: S3ClientSettings): S3Client {
  const credentials =
    cfg.AWS_ACCESS_KEY_ID && cfg.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: cfg.AWS_ACCESS_KEY_ID, secretAccessKey: cfg.AWS_SECRET_ACCESS_KEY }
      : undefined; // the SDK's default chain (env, profile, IRSA/instance role)
  return new S3Client({
    region: cfg.S3_REGION,
    ...(cfg.S3_ENDPOINT ? { endpoint: cfg.S3_ENDPOINT } : {}),
    ...(credentials ? { credentials } : {}),
    forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    // Since SDK 3.729 every upload carries CRC32 checksums (aws-chunked trailers) by default, which
    // S3-compatible servers (s3rver, older MinIO, R2, …) reject or mangle. Only send them when an
    // operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

export interface S3StoreMetrics {
  onBytesUploaded?(bytes: number): void;
}

/** The bucket of a process, from its parsed `s3Env` config: the client (to destroy on shutdown) and the store. */
export function createConfiguredStore(
  config: S3ClientSettings & { S3_BUCKET: string; S3_PRESIGN_TTL: number },
  metrics?: S3StoreMetrics,
): { client: S3Client; store: ObjectStore } {
  const client = createS3Client(config);
  const store = createS3ObjectStore({
    client,
    bucket: config.S3_BUCKET,
    presignTtlSeconds: Math.round(config.S3_PRESIGN_TTL / 1000),
    ...(metrics ? { metrics } : {}),
  });
  return { client, store };
}

export function createS3ObjectStore(deps: {
  client: S3Client;
  bucket: string;
  presignTtlSeconds: number;
  metrics?: S3StoreMetrics;
}): ObjectStore {
  const { client, bucket, presignTtlSeconds, metrics } = deps;
  // The HTTP status, when S3 answered: no status (unreachable) or a 5xx is an outage a job waits out.
  const fail = (action: string, key: string | undefined, error: unknown) => {
    const status = error instanceof Error ? httpStatusOf(error) : undefined;
    return new PipelineError(
      'storage_error',
      `S3 ${action} of ${key === undefined ? bucket : `${bucket}/${key}`} failed: ${messageOf(error)}`,
      { retryable: true, cause: error, ...(status ? { status } : {}) },
    );
  };

  return {
    bucket,

    async upload(key, body, opts) {
      const meter = createMeter();
      const disposition = opts.fileName ? contentDisposition(opts.fileName) : undefined;
      const headers = {
        Bucket: bucket,
        Key: key,
        ContentType: opts.contentType,
        ...(disposition ? { ContentDisposition: disposition } : {}),
      };
      // pipeline(), not pipe(): a source error (e.g. a reset download) must reach the Upload.
      const piping = pipeline(body, meter.stream);
      const upload = new Upload({
        client,
        params: { ...headers, Body: meter.stream },
        partSize: UPLOAD_PART_SIZE,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false, // a failed multipart upload is aborted, never left dangling
      });
      const done = upload.done().catch((error: unknown) => {
        // The Upload stopped reading: end the source too, or `piping` would wait forever.
        meter.stream.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      });
      const [uploaded, piped] = await Promise.allSettled([done, piping]);
      if (uploaded.status === 'rejected') throw fail('upload', key, uploaded.reason);
      if (piped.status === 'rejected') throw fail('upload', key, piped.reason);

      // The checksum is known only after the last byte, when the object's metadata is already fixed; it
      // is returned for the job's result, where clients read it, rather than stamped on the object by a
      // CopyObject that would cost one more request (and a server-side copy) per object.
      const { size, sha256 } = meter.result();
      metrics?.onBytesUploaded?.(size);
      return { size, sha256 };
    },

    async putText(key, text, contentType) {
      const sha256 = createHash('sha256').update(text).digest('base64');
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: text,
            ContentType: contentType,
            Metadata: { sha256 },
          }),
        );
      } catch (error) {
        throw fail('put', key, error);
      }
      metrics?.onBytesUploaded?.(Buffer.byteLength(text));
    },

    async presignGet(key, opts = {}) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(opts.fileName ? { ResponseContentDisposition: contentDisposition(opts.fileName) } : {}),
      });
      return getSignedUrl(client, command, { expiresIn: opts.ttlSeconds ?? presignTtlSeconds });
    },

    async presignPost(key, opts) {
      // A POST policy, not a presigned PUT: S3 itself refuses a body outside content-length-range
      // (EntityTooLarge), another key or another Content-Type, which a PUT URL cannot bind.
      const { url, fields } = await createPresignedPost(client, {
        Bucket: bucket,
        Key: key,
        Conditions: [
          ['content-length-range', 1, opts.maxBytes],
          ['eq', '$Content-Type', opts.contentType],
        ],
        Fields: { 'Content-Type': opts.contentType },
        Expires: opts.ttlSeconds,
      });
      return { url, fields };
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw fail('HeadBucket', undefined, error);
      }
    },
  };
}

/** Creates `bucket` unless it exists (idempotent; safe when several processes start at once). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (httpStatusOf(error) !== 404) throw error;
  }
  const region = await client.config.region();
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region that rejects an explicit location constraint.
        ...(region && region !== 'us-east-1'
          ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
          : {}),
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

/** A pass-through that counts bytes and hashes them as they flow, holding nothing else. */
function createMeter() {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('base64') }) };
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = httpStatusOf(error);
  const text = error.message && error.message !== 'UnknownError' ? error.message : error.name;
  return status ? `${text} (HTTP ${status})` : text;
}
