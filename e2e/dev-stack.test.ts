import { execFileSync } from 'node:child_process';
import { probeMedia } from '@foley/shared/testing/media';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DevStack, startDevStack } from './support/dev-stack';

// `pnpm dev` as a new user runs it: submit over HTTP, poll, fetch both outputs through the presigned
// URLs, check them with ffprobe, then Ctrl-C stops every part.
let stack: DevStack;

beforeAll(async () => {
  stack = await startDevStack();
});
afterAll(async () => {
  if (stack) await stack.stop();
});

it('dubs the sample video end to end through the running stack', async () => {
  const auth = { authorization: `Bearer ${stack.apiKey}` };
  expect(stack.output()).toContain(`API            ${stack.api}`);
  const created = await fetch(`${stack.api}/v1/jobs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      video_url: `${stack.emulator}/_emulator/samples/sample.mp4`,
      sound_effect_prompt: 'footsteps on gravel',
      background_music_prompt: 'calm piano',
    }),
  });
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };

  let job: any;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    job = await (await fetch(`${stack.api}/v1/jobs/${id}`, { headers: auth })).json();
    if (['completed', 'failed', 'canceled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(job.status).toBe('completed');

  const video = await probeMedia(job.output.video.url);
  expect(video.streams.map((s) => s.type).sort()).toEqual(['audio', 'video']);
  expect(Math.abs(video.durationSeconds - 5)).toBeLessThan(0.3);
  const mp3 = await fetch(job.output.audio.url);
  expect(mp3.status).toBe(200);
  expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
  expect((await mp3.arrayBuffer()).byteLength).toBe(job.output.audio.file_size);
  // ffprobe can read the file straight from S3 as a client would.
  const probe = execFileSync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    job.output.audio.url,
  ]);
  expect(probe.toString().trim()).toBe('mp3');
});

it('stops every part on Ctrl-C', async () => {
  await stack.stop();
  // pnpm itself dies of the signal at once; what matters is that every part shuts down by itself.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && stack.groupAlive()) await new Promise((r) => setTimeout(r, 200));
  expect(stack.groupAlive()).toBe(false);
  await expect(fetch(`${stack.api}/healthz`)).rejects.toThrow();
  await expect(fetch(`${stack.emulator}/_emulator/health`)).rejects.toThrow();
});
