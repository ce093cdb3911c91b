import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBucket } from '@foley/shared/infra/s3';
import { freePort } from '@foley/testkit/listen';
import { type LocalS3Server, localS3Client, S3RVER_CREDENTIALS, startLocalS3Server } from '@foley/testkit/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

/**
 * The attempt budget is for real failures: an S3 outage and fal's back-pressure are waited out (no
 * attempt used). Jobs get 2 attempts here, so a job that spent attempts on them would fail.
 */
let stack: Stack;
let s3: LocalS3Server | undefined;
let s3Port: number;
let dir: string;
const BUCKET = 'outage-waits';

async function startS3() {
  s3 = await startLocalS3Server({ port: s3Port, directory: join(dir, 's3') });
  const client = localS3Client(s3.endpoint);
  await ensureBucket(client, BUCKET);
  client.destroy();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'foley-outage-'));
  s3Port = await freePort();
  await startS3();
  stack = await startStack({
    env: {
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_BUCKET: BUCKET,
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      JOB_ATTEMPTS: '2',
      WAIT_RETRY_FIRST: '200ms',
      WAIT_RETRY_MAX: '1s',
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;

async function submit(prompt: string) {
  const res = await stack.http('POST', '/v1/jobs', { video_url: sample(), sound_effect_prompt: prompt });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const fault = (spec: Record<string, unknown>) => stack.emulatorFault(spec);

const submitsOf = async (prompt: string) =>
  (await stack.emulatorRequests()).filter(
    (r) => r.input?.sound_effect_prompt === prompt && r.status !== 'rejected',
  );

describe('outages and back-pressure do not use up attempts', () => {
  it('S3 down for 15 s (longer than a job’s 2 attempts last): the job waits and completes', async () => {
    await s3?.close();
    let id = '';
    try {
      id = await submit('s3-down');
      await new Promise((r) => setTimeout(r, 15_000));
      const waiting = (await stack.http('GET', `/v1/jobs/${id}`)).body;
      // Waiting, not failed: on the copy of its input (PIN_INPUTS) before the submit, or on its outputs.
      expect(['queued', 'processing']).toContain(waiting.status);
      expect(waiting.attempts).toBe(0);
    } finally {
      await startS3();
    }
    const job = await stack.waitForJob(id, undefined, 20_000);
    expect(job.status).toBe('completed');
    expect(await submitsOf('s3-down')).toHaveLength(1);
  });

  it('fal answers a submit 429 eight times in a row: the job keeps its place and completes', async () => {
    // (A 429 on status and result polls is retried inside fal's client; the worker waits out what gets through.)
    await fault({ op: 'submit', status: 429, retry_after: 0, times: 8 });
    const id = await submit('submit-429');
    const job = await stack.waitForJob(id, undefined, 30_000);
    expect(job.status).toBe('completed');
    expect(await submitsOf('submit-429')).toHaveLength(1);
  });

  it('a real failure still fails at once with its code', async () => {
    await fault({ op: 'run', error: 'the model could not process this video' });
    const id = await submit('model-error');
    const job = await stack.waitForJob(id, undefined, 20_000);
    expect(job.status).toBe('failed');
    expect(job.error.code).not.toBe('internal_error');
    expect(job.attempts).toBe(1);
  });
});
