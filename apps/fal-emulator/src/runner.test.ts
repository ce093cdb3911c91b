import { describe, expect, it } from 'vitest';
import { RunFailureError } from './errors';
import { checkVideo, faultFailure } from './runner';

const mp4 = { formatName: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h264' };

function failureOf(fn: () => unknown): RunFailureError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RunFailureError) return error;
    throw error;
  }
  throw new Error('expected a RunFailureError');
}

describe('checkVideo', () => {
  it('accepts MP4/MOV video from 3.0 to 20.0 s inclusive', () => {
    expect(checkVideo({ ...mp4, durationSeconds: 3 }).durationSeconds).toBe(3);
    expect(checkVideo({ ...mp4, durationSeconds: 20.0004 }).durationSeconds).toBe(20.0004);
  });

  it('rejects too short, too long, not a video, and other containers with fal-style 422s', () => {
    const cases: Array<[Parameters<typeof checkVideo>[0], string]> = [
      [{ ...mp4, durationSeconds: 2.99 }, 'video_duration_too_short'],
      [{ ...mp4, durationSeconds: 20.01 }, 'video_duration_too_long'],
      [undefined, 'invalid_video'],
      [{ ...mp4, videoCodec: undefined, durationSeconds: 5 }, 'invalid_video'],
      [{ formatName: 'matroska,webm', videoCodec: 'vp9', durationSeconds: 5 }, 'invalid_video'],
    ];
    for (const [probe, type] of cases) {
      const failure = failureOf(() => checkVideo(probe));
      expect(failure.status).toBe(422);
      expect(failure.body).toMatchObject({ detail: [{ loc: ['body', 'video_url'], type }] });
    }
  });
});

describe('faultFailure', () => {
  it('is a 422 model error by default and an infrastructure error with a status', () => {
    expect(faultFailure({ error: 'boom' }).body).toEqual({
      detail: [
        { loc: ['body'], msg: 'boom', type: 'model_error', url: 'https://docs.fal.ai/errors#model_error' },
      ],
    });
    const infra = faultFailure({ status: 503 });
    expect([infra.status, infra.body]).toEqual([
      503,
      { detail: 'Internal error', error_type: 'runner_scheduling_failure' },
    ]);
  });
});
