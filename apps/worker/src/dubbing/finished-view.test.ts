import { describe, expect, it } from 'vitest';
import { fakeJob } from '../../test/dub-fakes';
import { finishedView, viewNeedsOutput } from './finished-view';

const object = (key: string) => ({
  bucket: 'b',
  key,
  content_type: 'video/mp4',
  file_name: 'video.mp4',
  file_size: 4,
  sha256: 'x',
});
const result = {
  fal_request_id: 'req_1',
  video: object('jobs/j/video.mp4'),
  audio: object('jobs/j/audio.mp3'),
};

describe('finishedView', () => {
  it('presigns the output only for a job whose webhook or batch manifest carries it', async () => {
    expect(viewNeedsOutput({})).toBe(false);
    expect(viewNeedsOutput({ webhook_url: 'https://hooks.example/a' })).toBe(true);
    expect(viewNeedsOutput({ batch_id: 'batch_1' })).toBe(true);

    const presigned: string[] = [];
    const store = {
      presignGet: async (key: string) => {
        presigned.push(key);
        return `https://s3.example/${key}`;
      },
    };
    const job = fakeJob();
    const bare = await finishedView(job, { status: 'completed', result }, undefined, 0);
    expect(bare.status).toBe('completed');
    expect(bare.output).toBeUndefined();
    expect(presigned).toEqual([]);
    const full = await finishedView(job, { status: 'completed', result }, store, 0);
    expect(full.output?.video.url).toBe('https://s3.example/jobs/j/video.mp4');
    expect(presigned).toEqual(['jobs/j/video.mp4', 'jobs/j/audio.mp3']);
  });
});
