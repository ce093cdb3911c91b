import { describe, expect, it } from 'vitest';
import { parseQueuePath } from './endpoint-path';

describe('parseQueuePath', () => {
  it('reads a submit with the full endpoint id', () => {
    expect(parseQueuePath('/fal-ai/kling-video/video-to-audio')).toEqual({
      op: 'submit',
      appId: 'fal-ai/kling-video',
      endpointId: 'fal-ai/kling-video/video-to-audio',
    });
  });

  it('reads queue operations keyed by id on owner/alias only', () => {
    const base = '/fal-ai/kling-video/requests/abc';
    expect(parseQueuePath(base)).toEqual({ op: 'result', appId: 'fal-ai/kling-video', requestId: 'abc' });
    expect(parseQueuePath(`${base}/status`)).toMatchObject({ op: 'status', requestId: 'abc' });
    expect(parseQueuePath(`${base}/status/stream`)).toMatchObject({ op: 'stream' });
    expect(parseQueuePath(`${base}/cancel`)).toMatchObject({ op: 'cancel' });
    expect(parseQueuePath(`${base}/constructor`)).toEqual({ op: 'invalid' });
    expect(parseQueuePath('/fal-ai/kling-video/requests')).toEqual({ op: 'invalid' });
  });

  it('treats workflows/comfy as a namespace and rejects one-segment paths', () => {
    expect(parseQueuePath('/workflows/me/flow/requests/r1/status')).toMatchObject({
      appId: 'workflows/me/flow',
    });
    expect(parseQueuePath('/fal-ai')).toEqual({ op: 'invalid' });
    expect(parseQueuePath('/fal-ai/%E0%A4%A/x')).toMatchObject({
      op: 'submit',
      endpointId: 'fal-ai/%E0%A4%A/x',
    });
  });
});
