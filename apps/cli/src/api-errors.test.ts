import { createFoleyClient, FoleyApiError, FoleyConnectionError } from '@foley/client';
import { describe, expect, it } from 'vitest';
import { EXIT, errorMessage, exitCodeFor } from './exit-codes';

// The CLI's calls go through @foley/client; these pin what the CLI relies on from it.
describe('api client (the SDK, as the CLI uses it)', () => {
  it('sends the key and JSON, and returns the parsed body', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const api = createFoleyClient({
      apiUrl: 'http://api.test/',
      apiKey: 'k_123',
      fetch: (async (url: URL, init: RequestInit) => {
        calls.push({ url: String(url), init });
        return new Response(JSON.stringify({ id: 'bat_1' }), { status: 202 });
      }) as typeof fetch,
    });
    expect(await api.batches.create([], { atomic: true })).toEqual({
      id: 'bat_1',
    });
    expect(calls[0]?.url).toBe('http://api.test/v1/batches?atomic=true');
    expect(calls[0]?.init.headers).toMatchObject({
      authorization: 'Bearer k_123',
      'content-type': 'application/json',
    });
  });

  it("turns an error answer into FoleyApiError with the API's message (exit 3)", async () => {
    const api = createFoleyClient({
      apiUrl: 'http://api.test',
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
    const error = await api.batches.get('bat_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation_error' });
    expect(exitCodeFor(error)).toBe(EXIT.api);
    expect(errorMessage(error)).toBe(
      'error: the API answered 422 validation_error: 1 item(s) are invalid\n  line 2: video_url: bad',
    );
  });

  it('turns a network failure into FoleyConnectionError (exit 3)', async () => {
    const api = createFoleyClient({
      apiUrl: 'http://api.test',
      retries: 0,
      fetch: (async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
        });
      }) as unknown as typeof fetch,
    });
    const error = await api.jobs.get('job_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyConnectionError);
    expect((error as Error).message).toBe('cannot reach the Foley API at http://api.test: ECONNREFUSED');
    expect(exitCodeFor(error)).toBe(EXIT.api);
  });
});
