import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

/**
 * The worker learns of fal's end from the status stream, not from its next poll: with polls 20 s apart
 * the job still completes within a few seconds of the model's time.
 */
describe('waiting on fal with the status stream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { delayMs: 800 },
      env: { FAL_POLL_FIRST: '20s', FAL_POLL_MAX: '20s' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('completes the job long before the second poll would have seen it', async () => {
    const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
    const started = Date.now();
    const res = await stack.http('POST', '/v1/jobs', { video_url: video });
    expect(res.status).toBe(202);
    const job = await stack.waitForJob(res.body.id, undefined, 15_000);
    expect(job.status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
