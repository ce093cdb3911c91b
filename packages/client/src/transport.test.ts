import { describe, expect, it } from 'vitest';
import { createFoleyClient } from './client.js';
import { FoleyApiError, FoleyConnectionError } from './errors.js';
import { backoffDelayMs, DEFAULT_RETRY, nextDelayMs, parseRetryAfter } from './retry.js';
import { createTransport } from './transport.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a script, one entry per call, and records what was sent. */
function scripted(answers: Array<Response | Error>) {
  const calls: Call[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    calls.push({
      url: String(url),
      method: String(init.method),
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    const next = answers.shift();
    if (!next) throw new Error('no scripted answer left');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const refused = () =>
  new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });

function transport(answers: Array<Response | Error>, retries = 3) {
  const s = scripted(answers);
  const waits: number[] = [];
  const t = createTransport({
    apiUrl: 'http://api.test/',
    apiKey: 'k_1',
    fetch: s.fetch,
    retry: { retries },
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { ...s, waits, t };
}

describe('retry policy (pure)', () => {
  it('doubles the jittered ceiling per attempt, capped', () => {
    const policy = { retries: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(2, policy, () => 0.25)).toBe(100);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('stops after the last retry and refuses to wait out a very long Retry-After', () => {
    expect(nextDelayMs({ attempt: DEFAULT_RETRY.retries, policy: DEFAULT_RETRY })).toBeUndefined();
    expect(nextDelayMs({ attempt: 0, policy: DEFAULT_RETRY, retryAfterMs: 2000 })).toBe(2000);
    expect(nextDelayMs({ attempt: 0, policy: DEFAULT_RETRY, retryAfterMs: 3_600_000 })).toBeUndefined();
  });
});

describe('transport', () => {
  it('retries 429 and 503 after Retry-After, then returns the body', async () => {
    const { t, calls, waits } = transport([
      json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '2' }),
      json(503, { error: { code: 'service_unavailable', message: 'redis' } }, { 'retry-after': '1' }),
      json(200, { id: 'job_1' }),
    ]);
    expect(await t.request({ method: 'GET', path: '/v1/jobs/job_1' })).toEqual({ id: 'job_1' });
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([2000, 1000]);
    expect(calls[0]?.headers.authorization).toBe('Bearer k_1');
    expect(calls[0]?.url).toBe('http://api.test/v1/jobs/job_1');
  });

  it('backs off with jitter when no Retry-After is given, and on network errors', async () => {
    const { t, waits, calls } = transport([refused(), json(503, {}), refused(), json(200, { ok: true })]);
    expect(await t.request({ method: 'GET', path: '/x' })).toEqual({ ok: true });
    expect(calls).toHaveLength(4);
    // random() = 0.5 of 500, 1000, 2000 ms
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('gives up after `retries` with the last error: FoleyConnectionError for no answer', async () => {
    const { t, calls } = transport([refused(), refused(), refused()], 2);
    const error = await t.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyConnectionError);
    expect((error as Error).message).toBe('cannot reach the Foley API at http://api.test: ECONNREFUSED');
    expect(calls).toHaveLength(3);
  });

  it('gives up on a 503 after the retries, as a FoleyApiError', async () => {
    const { t, calls } = transport(
      [json(503, {}), json(503, { error: { code: 'service_unavailable', message: 'down' } })],
      1,
    );
    await expect(t.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      status: 503,
      code: 'service_unavailable',
    });
    expect(calls).toHaveLength(2);
  });

  it('never retries other errors; they carry status, code, details and the request id', async () => {
    const details = [{ field: 'video_url', rule: 'required', message: 'is required' }];
    const { t, calls } = transport([
      json(
        422,
        { error: { code: 'validation_error', message: 'bad input', details } },
        { 'x-request-id': 'req_9' },
      ),
    ]);
    const error = await t.request({ method: 'POST', path: '/v1/jobs', json: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: 'bad input',
      details,
      requestId: 'req_9',
    });
    expect(calls).toHaveLength(1);
  });

  it('names a non-JSON error answer by its status', async () => {
    const { t } = transport([new Response('<html>bad gateway</html>', { status: 502 })]);
    await expect(t.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
    });
  });

  it('gives up on an attempt after timeoutMs and retries it, as a network error', async () => {
    let attempts = 0;
    const hanging = (async (_url: URL, init: RequestInit) => {
      attempts++;
      // Never answers: only the transport's per-attempt timeout ends it.
      return new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }) as unknown as typeof globalThis.fetch;
    const t = createTransport({
      apiUrl: 'http://api.test',
      fetch: hanging,
      timeoutMs: 50,
      retry: { retries: 1, baseDelayMs: 1 },
    });
    const error = await t.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyConnectionError);
    expect((error as Error).message).toBe('cannot reach the Foley API at http://api.test: no answer in time');
    expect(attempts).toBe(2);
  });

  it("stops at once when the caller's signal aborts, without retrying", async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const { t, calls } = transport([refused(), json(200, {})]);
    await expect(t.request({ method: 'GET', path: '/x', signal: controller.signal })).rejects.toThrow('stop');
    expect(calls.length).toBeLessThanOrEqual(1);
  });
});

describe('creates send an Idempotency-Key', () => {
  it('generates one per create and keeps it across that create’s retries', async () => {
    const s = scripted([
      refused(),
      json(202, { id: 'job_1', status: 'queued' }),
      json(202, { id: 'job_2', status: 'queued' }),
      json(202, { id: 'bat_1', total: 1 }),
    ]);
    const client = createFoleyClient({ apiUrl: 'http://api.test', apiKey: 'k', fetch: s.fetch, retries: 2 });
    // The transport's real sleep runs here: the first retry waits at most 500 ms.
    await client.jobs.create({ video_url: 'https://v.test/a.mp4' });
    await client.jobs.create({ video_url: 'https://v.test/a.mp4' });
    await client.batches.create([{ video_url: 'https://v.test/a.mp4' }], { idempotencyKey: 'mine-1' });
    const keys = s.calls.map((c) => c.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[3]).toBe('mine-1');
    expect(JSON.parse(String(s.calls[0]?.body))).toEqual({ video_url: 'https://v.test/a.mp4' });
  });

  it('uses the key the caller gives', async () => {
    const s = scripted([json(200, { id: 'job_1' })]);
    const client = createFoleyClient({ apiUrl: 'http://api.test', fetch: s.fetch });
    await client.jobs.create({ video_url: 'https://v.test/a.mp4' }, { idempotencyKey: 'order-42' });
    expect(s.calls[0]?.headers['idempotency-key']).toBe('order-42');
    expect(s.calls[0]?.headers.authorization).toBeUndefined();
  });
});
