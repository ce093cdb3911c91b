import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FalClient } from '@fal-ai/client';
import { ValidationError } from '@fal-ai/client';
import { makeVideo, probeMedia } from '@foley/testkit/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, startTestEmulator } from '../test/support';
import type { KlingOutput } from './fal-contract';
import type { RunningEmulator } from './server';

let emu: RunningEmulator;
let fal: FalClient;

beforeAll(async () => {
  ({ emu, fal } = await startTestEmulator({ delayMs: 200 }));
});
afterAll(() => emu.close());

async function uploadFile(path: string, type: string): Promise<string> {
  return fal.storage.upload(new Blob([await readFile(path)], { type }));
}

async function dub(input: Record<string, unknown>): Promise<KlingOutput> {
  const { data } = await fal.subscribe(ENDPOINT, {
    input: input as { video_url: string },
    pollInterval: 100,
  });
  expect(data).toMatchObject({ video: { url: expect.any(String) }, audio: { url: expect.any(String) } });
  return data as KlingOutput;
}

async function sha256(url: string): Promise<string> {
  const response = await fetch(url);
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

async function runError(input: Record<string, unknown>): Promise<ValidationError> {
  const error = await fal
    .subscribe(ENDPOINT, { input: input as { video_url: string }, pollInterval: 100 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('the emulated video-to-audio model', () => {
  it.each([
    ['mp4', 'video/mp4'],
    ['mov', 'video/quicktime'],
  ] as const)(
    'dubs a 5 s %s: MP4 with video+audio of the same duration, and an MP3',
    async (format, type) => {
      // The .mov carries its own sound, which the output must replace, not add to.
      const input = await makeVideo({ seconds: 5, format, audio: format === 'mov' });
      const inputInfo = await probeMedia(input);
      const output = await dub({ video_url: await uploadFile(input, type) });

      const video = await probeMedia(output.video.url);
      expect(video.formatName).toContain('mp4');
      expect(video.streams.map((s) => s.type).sort()).toEqual(['audio', 'video']);
      expect(video.streams.find((s) => s.type === 'video')?.codec).toBe('h264');
      expect(video.streams.find((s) => s.type === 'audio')?.codec).toBe('aac');
      expect(Math.abs(video.durationSeconds - inputInfo.durationSeconds)).toBeLessThan(0.2);

      const audio = await probeMedia(output.audio.url);
      expect(audio.streams).toHaveLength(1);
      expect(audio.streams[0]?.codec).toBe('mp3');
      expect(Math.abs(audio.durationSeconds - inputInfo.durationSeconds)).toBeLessThan(0.2);

      for (const [file, contentType] of [
        [output.video, 'video/mp4'],
        [output.audio, 'audio/mpeg'],
      ] as const) {
        expect(file.content_type).toBe(contentType);
        const head = await fetch(file.url, { method: 'HEAD' });
        expect(head.headers.get('content-type')).toBe(contentType);
        expect(Number(head.headers.get('content-length'))).toBe(file.file_size);
        const bytes = await (await fetch(file.url)).arrayBuffer();
        expect(bytes.byteLength).toBe(file.file_size);
      }
    },
  );

  it('makes different audio for different prompts, the same for the same prompts', async () => {
    const url = await uploadFile(await makeVideo({ seconds: 3 }), 'video/mp4');
    const rain = {
      video_url: url,
      sound_effect_prompt: 'rain on a tin roof',
      background_music_prompt: 'calm piano',
    };
    const [a, b, c, d] = await Promise.all([
      dub(rain),
      dub(rain),
      dub({ ...rain, sound_effect_prompt: 'dog barking' }),
      dub({ ...rain, asmr_mode: true }),
    ]);
    const [ha, hb, hc, hd] = await Promise.all([a, b, c, d].map((o) => sha256(o.audio.url)));
    expect(ha).toBe(hb);
    expect(hc).not.toBe(ha);
    expect(hd).not.toBe(ha);
  });

  it('serves the sample videos: 5 s H.264 without audio, with HEAD and ranges', async () => {
    const sample = `${emu.url}/_emulator/samples/sample.mov`;
    const info = await probeMedia(sample);
    expect(info.streams.map((s) => s.type)).toEqual(['video']);
    expect(info.streams[0]).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(info.durationSeconds).toBeCloseTo(5, 1);
    const head = await fetch(sample, { method: 'HEAD' });
    expect(head.headers.get('content-type')).toBe('video/quicktime');
    const size = Number(head.headers.get('content-length'));
    const ranged = await fetch(sample, { headers: { range: 'bytes=4-11' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 4-11/${size}`);
    expect(Buffer.from(await ranged.arrayBuffer()).toString('latin1')).toBe('ftypqt  ');
  });
});

describe("the model's input errors (422 at result, as fal)", () => {
  it('rejects a 21 s video as too long and a 2 s video as too short', async () => {
    const [long, short] = await Promise.all([
      runError({
        video_url: await uploadFile(await makeVideo({ seconds: 21, width: 160, height: 90 }), 'video/mp4'),
      }),
      runError({ video_url: await uploadFile(await makeVideo({ seconds: 2 }), 'video/mp4') }),
    ]);
    expect(long.status).toBe(422);
    expect(long.fieldErrors[0]).toMatchObject({
      loc: ['body', 'video_url'],
      type: 'video_duration_too_long',
      url: 'https://docs.fal.ai/errors#video_duration_too_long',
    });
    expect(long.getFieldErrors('video_url')).toHaveLength(1);
    expect(short.fieldErrors[0]).toMatchObject({
      loc: ['body', 'video_url'],
      type: 'video_duration_too_short',
    });
  });

  it('rejects a file that is not a video, and an unreachable URL', async () => {
    const text = join(tmpdir(), `not-a-video-${process.pid}.mp4`);
    await writeFile(text, 'hello, I am not a video'.repeat(100));
    const notVideo = await runError({ video_url: await uploadFile(text, 'video/mp4') });
    expect(notVideo.fieldErrors[0]).toMatchObject({ loc: ['body', 'video_url'], type: 'invalid_video' });

    const unreachable = await runError({ video_url: `${emu.url}/_emulator/files/nope/x.mp4` });
    expect(unreachable.fieldErrors[0]).toMatchObject({ type: 'file_download_error' });
  });

  it('accepts the submit but fails the run for a 201-character prompt and a missing video_url', async () => {
    const url = `${emu.url}/_emulator/samples/sample.mp4`;
    const queued = await fal.queue.submit(ENDPOINT, {
      input: { video_url: url, sound_effect_prompt: 'x'.repeat(201) },
    });
    expect(queued.status).toBe('IN_QUEUE');
    const error = await runError({ video_url: url, background_music_prompt: 'y'.repeat(201) });
    expect(error.fieldErrors).toEqual([
      expect.objectContaining({
        loc: ['body', 'background_music_prompt'],
        type: 'string_too_long',
        ctx: { max_length: 200 },
      }),
    ]);
    const missing = await runError({ sound_effect_prompt: 'ok' });
    expect(missing.fieldErrors[0]).toMatchObject({ loc: ['body', 'video_url'], type: 'missing' });
  });
});
