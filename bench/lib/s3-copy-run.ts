import { Upload } from '@aws-sdk/lib-storage';
import { createS3ObjectStore, UPLOAD_PART_SIZE } from '@foley/shared/infra/s3';
import { generatedBody } from '@foley/testkit/generated-body';
import { localS3Client } from '@foley/testkit/s3';

/**
 * One S3 copy, meant to run alone in its own process so its RSS is its own: `foley` copies a generated
 * body through ObjectStore.upload (what the worker does: size and SHA-256 on the way); `raw` is the
 * baseline, a bare lib-storage `Upload` of the same stream with the same part size and queue.
 */
export type CopyMode = 'foley' | 'raw';

export interface CopyRun {
  mode: CopyMode;
  bytes: number;
  seconds: number;
  startRssMiB: number;
  peakRssMiB: number;
  requests: number;
}

const MiB = 1024 * 1024;

export async function runCopy(
  mode: CopyMode,
  target: { endpoint: string; bucket: string; bytes: number },
): Promise<CopyRun> {
  const client = localS3Client(target.endpoint);
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests++;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const body = generatedBody(target.bytes);
  const key = `bench/${mode}-${Date.now()}.bin`;
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  try {
    if (mode === 'foley') {
      const store = createS3ObjectStore({ client, bucket: target.bucket, presignTtlSeconds: 60 });
      const { size } = await store.upload(key, body.stream, { contentType: 'application/octet-stream' });
      if (size !== target.bytes) throw new Error(`stored ${size} bytes, expected ${target.bytes}`);
    } else {
      await new Upload({
        client,
        params: {
          Bucket: target.bucket,
          Key: key,
          Body: body.stream,
          ContentType: 'application/octet-stream',
        },
        partSize: UPLOAD_PART_SIZE,
        queueSize: 2,
      }).done();
    }
  } finally {
    clearInterval(sampler);
    client.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  // maxRSS (KiB) also catches a peak between two samples.
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  return {
    mode,
    bytes: target.bytes,
    seconds,
    startRssMiB: startRss / MiB,
    peakRssMiB: peakRss / MiB,
    requests,
  };
}
