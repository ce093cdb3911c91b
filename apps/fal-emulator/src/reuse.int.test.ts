import { createHash } from 'node:crypto';
import type { FalClient } from '@fal-ai/client';
import { makeVideo } from '@foley/testkit/media';
import { serveFiles } from '@foley/testkit/static-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, startTestEmulator } from '../test/support';
import type { KlingOutput } from './fal-contract';
import type { RunningEmulator } from './server';

// FAL_EMULATOR_MEDIA=reuse: one render per distinct input, every request still downloads its input and
// gets its own request id and output URLs.
let emu: RunningEmulator;
let fal: FalClient;
let files: Awaited<ReturnType<typeof serveFiles>>;

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 100, media: 'reuse', concurrency: 10 }));
  files = await serveFiles({ 'clip.mp4': await makeVideo({ seconds: 4 }) });
});
afterAll(async () => {
  await files?.close();
  await emu?.close();
});

const stats = async () =>
  (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as Record<string, unknown>;
const sha = async (url: string) =>
  createHash('sha256')
    .update(Buffer.from(await (await fetch(url)).arrayBuffer()))
    .digest('hex');

async function dub(input: Record<string, unknown>) {
  const { data, requestId } = await fal.subscribe(ENDPOINT, {
    input: input as { video_url: string },
    pollInterval: 50,
  });
  return { requestId, output: data as KlingOutput };
}

describe('reuse media mode', () => {
  it('renders once per distinct input; each request downloads and gets its own URLs', async () => {
    const input = { video_url: `${files.url}/clip.mp4`, sound_effect_prompt: 'rain' };
    const hitsBefore = files.hits();
    const runs = await Promise.all([dub(input), dub(input), dub(input)]);
    expect(files.hits() - hitsBefore).toBe(3);
    expect(new Set(runs.map((r) => r.requestId)).size).toBe(3);
    expect(new Set(runs.map((r) => r.output.video.url)).size).toBe(3);
    expect(new Set(runs.map((r) => r.output.audio.url)).size).toBe(3);
    const videoHashes = await Promise.all(runs.map((r) => sha(r.output.video.url)));
    expect(new Set(videoHashes).size).toBe(1);
    expect(runs[0]?.output.video).toMatchObject({ content_type: 'video/mp4', file_size: expect.any(Number) });
    expect((await stats()).renders).toBe(1);

    const other = await dub({ ...input, asmr_mode: true });
    expect(await sha(other.output.audio.url)).not.toBe(await sha(runs[0]?.output.audio.url ?? ''));
    expect(await stats()).toMatchObject({ renders: 2, media: 'reuse' });
  });

  it('remembers a refusal of the same bytes: a too-short video is refused again without a render', async () => {
    const short = await serveFiles({ 'short.mp4': await makeVideo({ seconds: 2 }) });
    try {
      const input = { video_url: `${short.url}/short.mp4` };
      const before = (await stats()).renders as number;
      for (let i = 0; i < 2; i++) {
        const error = (await fal.subscribe(ENDPOINT, { input, pollInterval: 50 }).then(
          () => undefined,
          (e: unknown) => e,
        )) as { status?: number; body?: { detail?: Array<{ type: string }> } } | undefined;
        expect(error?.status).toBe(422);
        expect(error?.body?.detail?.[0]?.type).toBe('video_duration_too_short');
      }
      expect((await stats()).renders).toBe(before + 1);
      expect(short.hits()).toBe(2);
    } finally {
      await short.close();
    }
  });
});
