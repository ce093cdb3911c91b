import { Readable } from 'node:stream';
import { PipelineError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { fakeDeps } from '../../test/dub-fakes';
import { copyOutputs } from './dub-outputs';

const OUTPUT = {
  video: { url: 'https://fal.example/v.mp4', content_type: 'video/mp4' },
  audio: { url: 'https://fal.example/a.mp3', content_type: 'audio/mpeg' },
};
const KEYS = { video: 'jobs/j/video.mp4', audio: 'jobs/j/audio.mp3' };

describe('copyOutputs', () => {
  it('stops the other copy when one fails, and returns only once both have ended', async () => {
    const { deps } = fakeDeps();
    const events: string[] = [];
    deps.download = async (url, signal) => {
      if (url.endsWith('.mp4')) {
        await new Promise((r) => setTimeout(r, 20));
        throw new PipelineError('fal_unavailable', 'video answered HTTP 500', { retryable: true });
      }
      // An endless body that only an abort ends.
      const body = new Readable({ read() {} });
      body.push('MP3');
      signal?.addEventListener('abort', () => {
        events.push('audio aborted');
        body.destroy(new Error('aborted'));
      });
      return { body, contentType: undefined, contentLength: undefined };
    };
    const upload = deps.store.upload;
    deps.store.upload = async (key, body, opts) => {
      try {
        return await upload(key, body, opts);
      } finally {
        events.push(`upload of ${key} ended`);
      }
    };

    const error = await copyOutputs(OUTPUT, KEYS, deps).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'fal_unavailable', message: 'video answered HTTP 500' });
    expect(events).toEqual(['audio aborted', `upload of ${KEYS.audio} ended`]);
  });

  it('copies both files with their content types', async () => {
    const { deps, uploads } = fakeDeps();
    const copied = await copyOutputs(OUTPUT, KEYS, deps);
    expect(copied.video).toMatchObject({
      key: KEYS.video,
      content_type: 'video/mp4',
      file_name: 'video.mp4',
    });
    expect(copied.audio).toMatchObject({
      key: KEYS.audio,
      content_type: 'audio/mpeg',
      file_name: 'audio.mp3',
    });
    expect(uploads.get(KEYS.video)).toBe('MP4!');
  });
});
