import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeVideo, probeMedia } from '@foley/testkit/media';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DevStack, root, startDevStack } from './support/dev-stack';

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

it('the foley CLI submits a URL and a local file as a batch, waits, and downloads both results', async () => {
  const local = await makeVideo({ seconds: 4, format: 'mov' });
  const out = mkdtempSync(join(tmpdir(), 'foley-cli-out-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        'apps/cli/bin/foley.js',
        'submit',
        `${stack.emulator}/_emulator/samples/sample.mp4`,
        local,
        '--prompt',
        'wind',
        '--wait',
        '--out',
        out,
      ],
      {
        cwd: root,
        env: { ...process.env, FOLEY_API_URL: stack.api, FOLEY_API_KEY: stack.apiKey },
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/2\/2/);
    const files = readdirSync(out).sort();
    expect(files.filter((f) => f.endsWith('.mp4'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.mp3'))).toHaveLength(2);
    for (const f of files.filter((name) => name.endsWith('.mp4'))) {
      const media = await probeMedia(join(out, f));
      expect(media.streams.map((s) => s.type).sort()).toEqual(['audio', 'video']);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
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
