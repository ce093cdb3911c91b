import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { makeVideo, probeMedia } from '@foley/testkit/media';
import { serveFiles } from '@foley/testkit/static-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// The dubbing pipeline on real parts: API over HTTP → Redis → worker → emulator (real @fal-ai/client)
// → S3. Every fault kind the emulator can inject is exercised here.
let stack: Stack;
let files: Awaited<ReturnType<typeof serveFiles>>;

beforeAll(async () => {
  stack = await startStack({ env: { FAL_CALL_TIMEOUT: '2s' } });
  files = await serveFiles({
    'long.mp4': await makeVideo({ seconds: 21 }),
    'short.mp4': await makeVideo({ seconds: 2 }),
    'clip.mov': await makeVideo({ seconds: 4, format: 'mov' }),
  });
});
afterAll(async () => {
  await files?.close();
  await stack?.close();
});
beforeEach(async () => {
  await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
});

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;
const fault = (spec: Record<string, unknown>) => stack.emulatorFault(spec);

async function submit(body: Record<string, unknown>) {
  const res = await stack.http('POST', '/v1/jobs', body);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/**
 * Submits the emulator saw for one job's input (faulted ones included): the prompt names the job; the
 * URL fal got is the customer's or, with PIN_INPUTS (the default), a presigned URL of its checked copy.
 */
async function submitsFor(videoUrl: string, prompt: string) {
  return (await stack.emulatorRequests()).filter(
    (r) =>
      r.input?.sound_effect_prompt === prompt &&
      (r.input?.video_url === videoUrl || /\/jobs\/job_[^/]+\/input\.mp4\?/.test(r.input?.video_url)),
  );
}

describe('happy path', () => {
  it('dubs an MP4: both outputs land in S3 and play as real media', async () => {
    const id = await submit({ video_url: sample(), sound_effect_prompt: 'rain on a tin roof' });
    const job = await stack.waitForJob(id);
    expect(job.status).toBe('completed');
    expect(job.fal_request_id).toBeTruthy();
    expect(job.output.video).toMatchObject({
      bucket: stack.bucket,
      key: `jobs/${id}/video.mp4`,
      content_type: 'video/mp4',
    });
    expect(job.output.audio).toMatchObject({ key: `jobs/${id}/audio.mp3`, content_type: 'audio/mpeg' });

    const video = await probeMedia(job.output.video.url);
    expect(video.streams.map((s) => s.type).sort()).toEqual(['audio', 'video']);
    expect(video.durationSeconds).toBeGreaterThan(4.5);
    expect(video.durationSeconds).toBeLessThan(5.5);
    const audio = await probeMedia(job.output.audio.url);
    expect(audio.streams[0]?.codec).toBe('mp3');

    const head = await stack.s3.client.send(
      new HeadObjectCommand({ Bucket: stack.bucket, Key: job.output.video.key }),
    );
    expect(head.ContentLength).toBe(job.output.video.file_size);
    expect(head.ContentType).toBe('video/mp4');
    expect(job.output.video.sha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(await submitsFor(sample(), 'rain on a tin roof')).toHaveLength(1);
  });

  it('dubs a .mov', async () => {
    const url = `${files.url}/clip.mov`;
    const job = await stack.waitForJob(await submit({ video_url: url }));
    expect(job.status).toBe('completed');
    const video = await probeMedia(job.output.video.url);
    expect(video.streams.some((s) => s.type === 'audio')).toBe(true);
    expect(video.durationSeconds).toBeGreaterThan(3.5);
    expect(video.durationSeconds).toBeLessThan(4.5);
  });
});

describe('videos that break the model rules fail before fal is called', () => {
  it.each([
    ['long.mp4', 'video_too_long'],
    ['short.mp4', 'video_too_short'],
  ])('%s → %s', async (name, code) => {
    const url = `${files.url}/${name}`;
    const job = await stack.waitForJob(await submit({ video_url: url }));
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe(code);
    expect((await stack.emulatorRequests()).filter((r) => r.input?.video_url === url)).toHaveLength(0);
  });

  it('an unreachable video fails with video_unreachable', async () => {
    const job = await stack.waitForJob(await submit({ video_url: `${files.url}/missing.mp4` }));
    expect(job).toMatchObject({ status: 'failed', error: { code: 'video_unreachable' } });
  });
});

describe('faults from fal', () => {
  it('429 on submit with Retry-After: waits, submits again, completes — one real request', async () => {
    await fault({ op: 'submit', status: 429, retry_after: 1 });
    const job = await stack.waitForJob(await submit({ video_url: sample(), sound_effect_prompt: 'f-429' }));
    expect(job.status).toBe('completed');
    const seen = await submitsFor(sample(), 'f-429');
    expect(seen.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(seen.filter((r) => r.status !== 'rejected')).toHaveLength(1);
  });

  it.each([500, 502, 503, 504])('%i on status polls is retried', async (status) => {
    await fault({ op: 'status', status, times: 2 });
    const job = await stack.waitForJob(
      await submit({ video_url: sample(), sound_effect_prompt: `f-status-${status}` }),
    );
    expect(job.status).toBe('completed');
    expect(await submitsFor(sample(), `f-status-${status}`)).toHaveLength(1);
  });

  it('a 503 on result, a dropped status connection and a hung status call are retried', async () => {
    await fault({ op: 'result', status: 503 });
    await fault({ op: 'status', drop: true });
    await fault({ op: 'status', delay_ms: 4_000 });
    const job = await stack.waitForJob(
      await submit({ video_url: sample(), sound_effect_prompt: 'f-mixed' }),
      undefined,
      45_000,
    );
    expect(job.status).toBe('completed');
    expect(await submitsFor(sample(), 'f-mixed')).toHaveLength(1);
  });

  it('a failing output download is retried', async () => {
    await fault({ op: 'file', status: 500, times: 1 });
    const job = await stack.waitForJob(
      await submit({ video_url: sample(), sound_effect_prompt: 'f-file' }),
      undefined,
      45_000,
    );
    expect(job.status).toBe('completed');
  });

  it('a model error fails the job at once with fal’s message', async () => {
    await fault({ op: 'run', error: 'the sound model exploded' });
    const job = await stack.waitForJob(await submit({ video_url: sample(), sound_effect_prompt: 'f-model' }));
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('model_error');
    expect(job.error.message).toContain('the sound model exploded');
    expect(job.attempts, JSON.stringify(job)).toBe(1);
  });

  it('a submit accepted but its answer lost is never submitted again', async () => {
    await fault({ op: 'submit', drop_after_accept: true });
    const job = await stack.waitForJob(await submit({ video_url: sample(), sound_effect_prompt: 'f-lost' }));
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('submit_outcome_unknown');
    expect(await submitsFor(sample(), 'f-lost')).toHaveLength(1);
  });
});
