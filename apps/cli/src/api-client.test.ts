import { describe, expect, it } from 'vitest';
import { ApiRequestError, ApiUnreachableError, createApiClient } from './api-client';
import { EXIT, errorMessage, exitCodeFor } from './exit-codes';

describe('api client', () => {
  it('sends the key and JSON, and returns the parsed body', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const api = createApiClient({
      baseUrl: 'http://api.test/',
      apiKey: 'k_123',
      fetch: (async (url: URL, init: RequestInit) => {
        calls.push({ url: String(url), init });
        return new Response(JSON.stringify({ id: 'bat_1' }), { status: 202 });
      }) as typeof fetch,
    });
    expect(await api.createBatch({ items: [] }, { atomic: 'true', skip: undefined })).toEqual({
      id: 'bat_1',
    });
    expect(calls[0]?.url).toBe('http://api.test/v1/batches?atomic=true');
    expect(calls[0]?.init.headers).toMatchObject({
      authorization: 'Bearer k_123',
      'content-type': 'application/json',
    });
  });

  it("turns an error answer into ApiRequestError with the API's message (exit 3)", async () => {
    const api = createApiClient({
      baseUrl: 'http://api.test',
      fetch: (async () =>
        new Response(
          JSON.stringify({
            error: {
              code: 'validation_error',
              message: '1 item(s) are invalid',
              details: [{ index: 1, line: 2, errors: [{ field: 'video_url', message: 'bad' }] }],
            },
          }),
          { status: 422 },
        )) as unknown as typeof fetch,
    });
    const error = await api.getBatch('bat_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ status: 422, code: 'validation_error' });
    expect(exitCodeFor(error)).toBe(EXIT.api);
    expect(errorMessage(error)).toBe(
      'error: the API answered 422 validation_error: 1 item(s) are invalid\n  line 2: video_url: bad',
    );
  });

  it('turns a network failure into ApiUnreachableError (exit 3)', async () => {
    const api = createApiClient({
      baseUrl: 'http://api.test',
      fetch: (async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
        });
      }) as unknown as typeof fetch,
    });
    const error = await api.getJob('job_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as Error).message).toBe('cannot reach the Foley API at http://api.test: ECONNREFUSED');
    expect(exitCodeFor(error)).toBe(EXIT.api);
  });
});
