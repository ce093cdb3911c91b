import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_B, type Stack, startStack } from './support/stack';

// The jobs API without a worker: validation, auth, tenancy, paging, idempotency, cancel of queued jobs.
// The allowlist is empty here (production default), so loopback URLs are refused at submit.
let stack: Stack;
const VIDEO = 'https://videos.example.com/clip.mp4';

beforeAll(async () => {
  stack = await startStack({ worker: false, env: { URL_ALLOWLIST: '' } });
});
afterAll(async () => stack?.close());

describe('POST /v1/jobs', () => {
  it('accepts a job, fills in the model defaults and echoes metadata', async () => {
    const res = await stack.http('POST', '/v1/jobs', { video_url: VIDEO, metadata: { order: 42 } });
    expect(res.status).toBe(202);
    expect(res.body.id).toMatch(/^job_[0-9a-z]{26}$/);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({
      status: 'queued',
      input: {
        video_url: VIDEO,
        sound_effect_prompt: 'Car tires screech as they accelerate in a drag race',
        background_music_prompt: 'intense car race',
        asmr_mode: false,
      },
      metadata: { order: 42 },
      attempts: 0,
    });
  });

  it.each([
    ['missing video_url', {}, 'video_url', 'required'],
    ['video_url of the wrong type', { video_url: 42 }, 'video_url', 'invalid_type'],
    ['a non-http URL', { video_url: 'ftp://example.com/a.mp4' }, 'video_url', 'custom'],
    [
      'a prompt over 200 chars',
      { video_url: VIDEO, sound_effect_prompt: 'x'.repeat(201) },
      'sound_effect_prompt',
      'too_big',
    ],
    ['asmr_mode as a string', { video_url: VIDEO, asmr_mode: 'yes' }, 'asmr_mode', 'invalid_type'],
    ['an unknown field', { video_url: VIDEO, seed: 1 }, 'seed', 'unknown_field'],
    [
      'a webhook_url that is not http(s)',
      { video_url: VIDEO, webhook_url: 'mailto:a@b.c' },
      'webhook_url',
      'custom',
    ],
    ['metadata over 4 KB', { video_url: VIDEO, metadata: { blob: 'x'.repeat(5000) } }, 'metadata', 'custom'],
    ['metadata that is not an object', { video_url: VIDEO, metadata: [1] }, 'metadata', 'invalid_type'],
  ])('rejects %s with 422 naming the field', async (_name, body, field, rule) => {
    const res = await stack.http('POST', '/v1/jobs', body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ field, rule }));
    expect(res.body.error.message).toContain(field);
  });

  it.each([
    'http://127.0.0.1/a.mp4',
    'http://127.1/a.mp4',
    'http://0x7f000001/a.mp4',
    'http://2130706433/a.mp4',
    'http://0177.0.0.1/a.mp4',
    'http://[::1]/a.mp4',
    'http://[::ffff:127.0.0.1]/a.mp4',
    'http://localhost:3000/a.mp4',
    'http://10.0.0.1/a.mp4',
    'http://192.168.1.10/a.mp4',
    'http://169.254.169.254/latest/meta-data',
    'http://user:pass@videos.example.com/a.mp4',
  ])('refuses %s at submit (SSRF)', async (url) => {
    const res = await stack.http('POST', '/v1/jobs', { video_url: url });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].field).toBe('video_url');
  });

  it('checks webhook_url against the same SSRF rules', async () => {
    const res = await stack.http('POST', '/v1/jobs', {
      video_url: VIDEO,
      webhook_url: 'http://10.1.2.3/hook',
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0]).toMatchObject({ field: 'webhook_url', rule: 'private' });
  });

  it('answers malformed JSON with 400, other content types with 415, big bodies with 413', async () => {
    const bad = await stack.http('POST', '/v1/jobs', undefined, {
      raw: '{"video_url": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');

    const text = await stack.http('POST', '/v1/jobs', undefined, {
      raw: `video_url=${VIDEO}`,
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.message).toContain('application/json');

    const big = await stack.http('POST', '/v1/jobs', {
      video_url: VIDEO,
      metadata: { x: 'y'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body_too_large');

    const array = await stack.http('POST', '/v1/jobs', [{ video_url: VIDEO }]);
    expect(array.status).toBe(400);
    expect(array.body.error.code).toBe('invalid_body');
  });

  it('requires a valid API key', async () => {
    const none = await stack.http('POST', '/v1/jobs', { video_url: VIDEO }, { key: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await stack.http('GET', '/v1/jobs', undefined, { key: 'not_a_real_key_123' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and body, in any key order, and 422 for another body', async () => {
    const headers = { 'idempotency-key': `idem-${Date.now()}` };
    const first = await stack.http('POST', '/v1/jobs', { video_url: VIDEO, asmr_mode: true }, { headers });
    const again = await stack.http('POST', '/v1/jobs', { asmr_mode: true, video_url: VIDEO }, { headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await stack.http('POST', '/v1/jobs', { video_url: VIDEO, asmr_mode: false }, { headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // Keys are per tenant: another key may use the same Idempotency-Key for its own job.
    const b = await stack.http(
      'POST',
      '/v1/jobs',
      { video_url: VIDEO, asmr_mode: true },
      { headers, key: API_KEY_B },
    );
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(first.body.id);
  });
});

describe('reading and listing', () => {
  it('hides one tenant’s jobs from another (404)', async () => {
    const created = await stack.http('POST', '/v1/jobs', { video_url: VIDEO });
    expect((await stack.http('GET', `/v1/jobs/${created.body.id}`)).status).toBe(200);
    const other = await stack.http('GET', `/v1/jobs/${created.body.id}`, undefined, { key: API_KEY_B });
    expect(other.status).toBe(404);
    const cancel = await stack.http('POST', `/v1/jobs/${created.body.id}/cancel`, undefined, {
      key: API_KEY_B,
    });
    expect(cancel.status).toBe(404);
    expect((await stack.http('GET', '/v1/jobs/job_nope')).status).toBe(404);
  });

  it('pages newest first with a cursor and filters by status', async () => {
    const key = 'test_key_pager_tenant_03';
    const pager = await startStack({ worker: false, env: { API_KEYS: `pager:${key}`, URL_ALLOWLIST: '' } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await pager.http('POST', '/v1/jobs', { video_url: VIDEO }, { key })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const res: any = await pager.http(
          'GET',
          `/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          { key },
        );
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((j: { id: string }) => j.id));
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toEqual([...ids].reverse());
      await pager.http('POST', `/v1/jobs/${ids[1]}/cancel`, undefined, { key });
      const canceled = await pager.http('GET', '/v1/jobs?status=canceled', undefined, { key });
      expect(canceled.body.data.map((j: { id: string }) => j.id)).toEqual([ids[1]]);
      const bad = await pager.http('GET', '/v1/jobs?status=done', undefined, { key });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details[0].field).toBe('query.status');
    } finally {
      await pager.close();
    }
  });
});

describe('cancel of a queued job', () => {
  it('removes it, reports canceled, and refuses a second cancel with 409', async () => {
    const created = await stack.http('POST', '/v1/jobs', { video_url: VIDEO });
    const canceled = await stack.http('POST', `/v1/jobs/${created.body.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
    const read = await stack.http('GET', `/v1/jobs/${created.body.id}`);
    expect(read.body.status).toBe('canceled');
    const again = await stack.http('POST', `/v1/jobs/${created.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('job_finished');
  });
});
