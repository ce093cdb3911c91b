import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { PipelineError } from '@foley/shared/errors';
import { createS3ObjectStore } from '@foley/shared/infra/s3';
import { EMPTY_ALLOWLIST, parseAllowlist } from '@foley/shared/ssrf/url-guard';
import { ftyp, moov } from '@foley/testkit/mp4-fixtures';
import { startTestS3, type TestS3 } from '@foley/testkit/s3';
import { type ServedFile, startVideoServer } from '@foley/testkit/video-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, type GuardedFetch } from '../clients/http-fetch';
import { createPinInput, type PinInputOptions } from './pin-input';
import { createPreflight } from './preflight';

// The customer's server (loopback) and Foley's bucket (the local S3 server, also on loopback): the
// customer's URL is read through the SSRF guard, the copy through a fetch for Foley's own bucket.
let s3: TestS3;
let bucket: string;
let server: Awaited<ReturnType<typeof startVideoServer>>;
const video = Buffer.concat([ftyp(), moov({ timescale: 1000, duration: 5000 })]);
const files: Record<string, ServedFile> = {
  'clip.mp4': { segments: [video], contentType: 'video/mp4' },
  'page.mp4': { segments: [Buffer.from('<html>sign in</html>')], contentType: 'video/mp4' },
  'big.mp4': { segments: [video, { zeros: 5_000 }], contentType: 'video/mp4' },
};
const customerFetch = createGuardedFetch({ allowlist: parseAllowlist(['127.0.0.1']) });
const strictFetch = createGuardedFetch({ allowlist: EMPTY_ALLOWLIST });
const bucketFetch: GuardedFetch = (url, init) => fetch(url, init);

beforeAll(async () => {
  [s3, server] = await Promise.all([startTestS3(), startVideoServer(files)]);
  bucket = await s3.createBucket();
});
afterAll(async () => {
  await Promise.all([server?.close(), s3?.close(), customerFetch.close(), strictFetch.close()]);
});

function pinner(opts: Partial<PinInputOptions> = {}) {
  const store = createS3ObjectStore({ client: s3.client, bucket, presignTtlSeconds: 300 });
  const checked: string[] = [];
  const check = createPreflight({ fetch: bucketFetch });
  const pin = createPinInput({
    fetch: customerFetch,
    store,
    checkCopy: async (url) => {
      checked.push(url);
      return check(url);
    },
    ...opts,
  });
  return { pin, checked };
}

const stored = async (key: string) => {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
};

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as PipelineError,
  );

describe('pinning the customer’s video in Foley’s bucket', () => {
  it('copies the video byte for byte and checks the copy through a presigned URL of the bucket', async () => {
    const { pin, checked } = pinner();
    expect(await pin(`${server.base}/clip.mp4`, 'job_pin1')).toBe('jobs/job_pin1/input.mp4');
    expect((await stored('jobs/job_pin1/input.mp4')).equals(video)).toBe(true);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain(`${bucket}/jobs/job_pin1/input.mp4`);
    expect(checked[0]).toMatch(/X-Amz-Signature=/);
  });

  it('reads the customer’s URL through the SSRF guard: a blocked address is url_blocked, nothing stored', async () => {
    const { pin, checked } = pinner({ fetch: strictFetch });
    const error = await failure(pin(`${server.base}/clip.mp4`, 'job_pin2'));
    expect(error).toMatchObject({ code: 'url_blocked', retryable: false });
    expect(checked).toEqual([]);
    await expect(stored('jobs/job_pin2/input.mp4')).rejects.toThrow();
  });

  it('stops a video past the size limit, even one whose server sends no length', async () => {
    const { pin } = pinner({ maxBytes: video.length + 1_000 });
    for (const mode of ['', '?mode=nolength']) {
      const error = await failure(pin(`${server.base}/big.mp4${mode}`, 'job_pin3'));
      expect(error).toMatchObject({ code: 'video_too_large', retryable: false });
    }
  });

  it('fails a copy that is not a video (what the customer’s server sent this time) with preflight’s code', async () => {
    const { pin } = pinner();
    const error = await failure(pin(`${server.base}/page.mp4`, 'job_pin4'));
    expect(error).toMatchObject({ code: 'unsupported_media' });
  });

  it('maps an error status of the customer’s server to video_unreachable', async () => {
    const { pin } = pinner();
    const error = await failure(pin(`${server.base}/clip.mp4?status=503`, 'job_pin5'));
    expect(error).toMatchObject({ code: 'video_unreachable', retryable: true });
  });
});
