import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3ObjectStore } from '@foley/shared/infra/s3';
import { generatedBody } from '@foley/testkit/generated-body';
import { localS3Client } from '@foley/testkit/s3';

/**
 * One run of `scripts/bench-s3-copy.ts`, meant to run alone in its own process so its RSS is its own:
 * `stream` copies a generated body through ObjectStore.upload; `buffer` is the naive baseline that
 * reads the whole body into memory, then PutObject.
 */
export type CopyMode = 'stream' | 'buffer';

export interface CopyRun {
  mode: CopyMode;
  bytes: number;
  seconds: number;
  startRssMiB: number;
  peakRssMiB: number;
}

const MiB = 1024 * 1024;

export async function runCopy(
  mode: CopyMode,
  target: { endpoint: string; bucket: string; bytes: number },
): Promise<CopyRun> {
  const client = localS3Client(target.endpoint);
  const body = generatedBody(target.bytes);
  const key = `bench/${mode}-${Date.now()}.bin`;
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  try {
    if (mode === 'stream') {
      const store = createS3ObjectStore({ client, bucket: target.bucket, presignTtlSeconds: 60 });
      const { size } = await store.upload(key, body.stream, { contentType: 'application/octet-stream' });
      if (size !== target.bytes) throw new Error(`stored ${size} bytes, expected ${target.bytes}`);
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of body.stream) chunks.push(chunk as Buffer);
      const whole = Buffer.concat(chunks);
      chunks.length = 0;
      const sha256 = createHash('sha256').update(whole).digest('base64');
      await client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: key,
          Body: whole,
          ContentType: 'application/octet-stream',
          Metadata: { sha256 },
        }),
      );
    }
  } finally {
    clearInterval(sampler);
    client.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  // maxRSS (KiB) also catches a peak between two samples.
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  return { mode, bytes: target.bytes, seconds, startRssMiB: startRss / MiB, peakRssMiB: peakRss / MiB };
}
