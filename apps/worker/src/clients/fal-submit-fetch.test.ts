import { describe, expect, it } from 'vitest';
import {
  classifyTransportError,
  parseRetryAfter,
  SubmitAttemptError,
  singleShotSubmitFetch,
} from './fal-submit-fetch';

const fetchError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

describe('singleShotSubmitFetch', () => {
  it('passes successful and non-retried answers through', async () => {
    const wrapped = singleShotSubmitFetch(async () => new Response('{"request_id":"r"}', { status: 200 }));
    expect((await wrapped('http://x/')).status).toBe(200);
    const unprocessable = singleShotSubmitFetch(async () => new Response('{}', { status: 422 }));
    expect((await unprocessable('http://x/')).status).toBe(422);
  });

  it('turns 429/502/503/504 into a SubmitAttemptError with Retry-After, so the client cannot resubmit', async () => {
    const wrapped = singleShotSubmitFetch(
      async () => new Response('{"detail":"slow down"}', { status: 429, headers: { 'retry-after': '3' } }),
    );
    const error = await wrapped('http://x/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitAttemptError);
    expect((error as SubmitAttemptError).failure).toMatchObject({
      kind: 'rejected',
      status: 429,
      retryAfterMs: 3000,
    });
    // The client's retry check walks `.cause`: nothing there may look like a transport error.
    expect((error as Error).cause).toBeUndefined();
  });

  it('an ingress 5xx (no x-fal-request-id) is a refusal; a 5xx naming a request is an unknown outcome', async () => {
    const nginx =
      '<html><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></html>';
    const ingress = singleShotSubmitFetch(
      async () => new Response(nginx, { status: 503, headers: { 'content-type': 'text/html' } }),
    );
    expect(((await ingress('http://x/').catch((e) => e)) as SubmitAttemptError).failure).toMatchObject({
      kind: 'rejected',
      status: 503,
    });
    const runner = singleShotSubmitFetch(
      async () =>
        new Response('{"detail":"x","error_type":"runner_scheduling_failure"}', {
          status: 503,
          headers: { 'x-fal-request-id': 'req-1', 'content-type': 'application/json' },
        }),
    );
    expect(((await runner('http://x/').catch((e) => e)) as SubmitAttemptError).failure).toMatchObject({
      kind: 'unknown_outcome',
      code: 'HTTP_503',
    });
  });

  it('separates failures before sending from failures with an unknown outcome', async () => {
    const refused = singleShotSubmitFetch(async () => Promise.reject(fetchError('ECONNREFUSED')));
    const reset = singleShotSubmitFetch(async () => Promise.reject(fetchError('ECONNRESET')));
    expect(((await refused('http://x/').catch((e) => e)) as SubmitAttemptError).failure.kind).toBe(
      'not_sent',
    );
    expect(((await reset('http://x/').catch((e) => e)) as SubmitAttemptError).failure.kind).toBe(
      'unknown_outcome',
    );
  });
});

describe('singleShotSubmitFetch reading the answer', () => {
  const cutShort = (status: number) =>
    singleShotSubmitFetch(async () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"request_id":"r'));
          controller.error(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }));
        },
      });
      return new Response(body, { status, headers: { 'content-type': 'application/json' } });
    });

  it('turns a 2xx whose body is cut short into an unknown outcome (fal may have queued it)', async () => {
    const error = await cutShort(200)('http://x/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitAttemptError);
    expect((error as SubmitAttemptError).failure).toMatchObject({
      kind: 'unknown_outcome',
      code: 'UND_ERR_SOCKET',
    });
    expect((error as Error).cause).toBeUndefined();
  });

  it('treats a refusal whose body is cut short as a refusal', async () => {
    const error = await cutShort(500)('http://x/').catch((e: unknown) => e);
    expect((error as SubmitAttemptError).failure).toMatchObject({ kind: 'rejected', status: 500 });
  });

  it('hands the client a complete copy of the answer', async () => {
    const wrapped = singleShotSubmitFetch(
      async () => new Response('{"request_id":"r1"}', { status: 200, headers: { 'x-fal-request-id': 'r1' } }),
    );
    const response = await wrapped('http://x/');
    expect(response.headers.get('x-fal-request-id')).toBe('r1');
    expect(await response.json()).toEqual({ request_id: 'r1' });
  });
});

describe('classifyTransportError', () => {
  it('treats timeouts waiting for an answer as unknown outcomes', () => {
    expect(classifyTransportError(fetchError('UND_ERR_HEADERS_TIMEOUT')).kind).toBe('unknown_outcome');
    expect(classifyTransportError(fetchError('UND_ERR_SOCKET')).kind).toBe('unknown_outcome');
    expect(classifyTransportError(fetchError('UND_ERR_CONNECT_TIMEOUT')).kind).toBe('not_sent');
    expect(classifyTransportError(new Error('weird')).kind).toBe('unknown_outcome');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
