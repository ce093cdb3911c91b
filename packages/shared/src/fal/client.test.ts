import { describe, expect, it } from 'vitest';
import { rewriteFalUrl } from './client';

describe('rewriteFalUrl', () => {
  it('moves https://HOST/PATH?Q under the base URL, keeping host, path and query', () => {
    expect(
      rewriteFalUrl(
        'https://queue.fal.run/fal-ai/kling-video/requests/abc/status?logs=0',
        'http://127.0.0.1:3100/',
      ),
    ).toBe('http://127.0.0.1:3100/queue.fal.run/fal-ai/kling-video/requests/abc/status?logs=0');
    expect(
      rewriteFalUrl('https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3', 'http://e:1'),
    ).toBe('http://e:1/rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3');
  });
});
