import { QUEUES } from '@foley/shared/queues/catalog';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_B, type Stack, startStack } from './support/stack';

// POST/GET/cancel of batches over HTTP on real Redis + S3, with no worker: jobs stay queued, so
// what is asserted is parsing, validation, enqueueing, indexes, idempotency and cancel.
let stack: Stack;
let queue: Queue;
const BODY_LIMIT = 1024 * 1024;

beforeAll(async () => {
  stack = await startStack({ worker: false, env: { BATCH_BODY_LIMIT: String(BODY_LIMIT) } });
  queue = new Queue(QUEUES.dubbing.name, { connection: stack.redis, prefix: stack.prefix });
});
afterAll(async () => {
  await queue?.close();
  await stack?.close();
});

const url = (i: number) => `http://127.0.0.1:9/videos/${i}.mp4`;

async function post(
  body: string | ReadableStream<Uint8Array>,
  type: string,
  query = '',
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${stack.api.url}/v1/batches${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer test_key_tenant_a_0001`, 'content-type': type, ...headers },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('POST /v1/batches', () => {
  it('accepts a JSON batch: valid items run, invalid ones are reported by index', async () => {
    const res = await post(
      JSON.stringify({
        items: [
          { video_url: url(0) },
          { video_url: 'ftp://nope' },
          { video_url: url(2), seed: 3 },
          { video_url: url(3) },
        ],
        webhook_url: 'http://127.0.0.1:9/hook',
        metadata: { run: 1 },
        defaults: { sound_effect_prompt: 'rain' },
      }),
      'application/json',
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      object: 'batch',
      status: 'processing',
      total: 2,
      accepted: 2,
      received: 4,
      counts: { queued: 2, processing: 0, completed: 0, failed: 0, canceled: 0 },
      webhook_url: 'http://127.0.0.1:9/hook',
      metadata: { run: 1 },
      defaults: { sound_effect_prompt: 'rain' },
    });
    expect(res.body.id).toMatch(/^bat_/);
    expect(res.headers.get('location')).toBe(`/v1/batches/${res.body.id}`);
    expect(res.body.rejected).toEqual([
      {
        index: 1,
        errors: [
          { field: 'video_url', rule: 'custom', message: 'must be an absolute http:// or https:// URL' },
        ],
      },
      { index: 2, errors: [{ field: 'seed', rule: 'unknown_field', message: 'unknown field "seed"' }] },
    ]);

    const jobs = await stack.http('GET', `/v1/jobs?batch_id=${res.body.id}&limit=10`);
    expect(jobs.status).toBe(200);
    const byIndex = [...jobs.body.data].sort((a, b) => a.batch_index - b.batch_index);
    expect(byIndex.map((j: { batch_index: number }) => j.batch_index)).toEqual([0, 3]);
    expect(byIndex[0]).toMatchObject({
      status: 'queued',
      batch_id: res.body.id,
      input: { video_url: url(0), sound_effect_prompt: 'rain' },
    });
    expect(byIndex[0].webhook_url).toBeUndefined(); // the webhook belongs to the batch
    // Parked for the fal dispatcher, listed in the ready list; no BullMQ priority (fairness is the dispatcher's).
    const job = await queue.getJob(byIndex[0].id);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.opts.priority).toBeUndefined();
    expect(
      await stack.redis.zrangebylex(`${stack.prefix}:foley:dispatch:ready`, '[tenant-a|', '(tenant-a}'),
    ).toContain(`tenant-a|5|${byIndex[0].id}`);
  });

  it('accepts JSONL (CRLF, blank lines, bad lines by line number) with settings in the query', async () => {
    const body = `{"video_url":"${url(0)}"}\r\n\r\n{"video_url":\r\n{"video_url":"${url(2)}","asmr_mode":"yes"}\r\n{"video_url":"${url(3)}"}`;
    const res = await post(
      body,
      'application/x-ndjson',
      '?asmr_mode=true&webhook_url=http%3A%2F%2F127.0.0.1%3A9%2Fh',
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ total: 2, received: 4, defaults: { asmr_mode: true } });
    expect(res.body.rejected.map((r: { index: number; line: number }) => [r.index, r.line])).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(res.body.rejected[0].errors[0].rule).toBe('invalid_json');
    expect(res.body.rejected[1].errors[0]).toMatchObject({ field: 'asmr_mode', rule: 'invalid_type' });
  });

  it('accepts CSV with a BOM, quotes and application/jsonl as a JSONL alias', async () => {
    const csv = `\uFEFFvideo_url,sound_effect_prompt,asmr_mode\r\n${url(0)},"glass, breaking",1\r\n\r\n${url(1)},,0\r\n`;
    const res = await post(csv, 'text/csv; charset=utf-8');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ total: 2, rejected: [] });
    const jobs = await stack.http('GET', `/v1/jobs?batch_id=${res.body.id}`);
    const inputs = jobs.body.data.map((j: { input: unknown }) => j.input);
    expect(inputs).toContainEqual(
      expect.objectContaining({ video_url: url(0), sound_effect_prompt: 'glass, breaking', asmr_mode: true }),
    );
    const alias = await post(`{"video_url":"${url(5)}"}\n`, 'application/jsonl');
    expect(alias.status).toBe(202);
  });

  it('?atomic=true rejects the whole batch and enqueues nothing; zero valid items is a 422', async () => {
    const before = await stack.redis.zcard(`${stack.prefix}:foley:tenant:tenant-a:jobs`);
    const atomic = await post(
      `{"video_url":"${url(0)}"}\n{"video_url":"x"}\n`,
      'application/x-ndjson',
      '?atomic=true',
    );
    expect(atomic.status).toBe(422);
    expect(atomic.body.error.details).toEqual([
      { index: 1, line: 2, errors: [expect.objectContaining({ field: 'video_url' })] },
    ]);
    const none = await post(JSON.stringify({ items: [{ video_url: 'x' }] }), 'application/json');
    expect(none.status).toBe(422);
    expect(await stack.redis.zcard(`${stack.prefix}:foley:tenant:tenant-a:jobs`)).toBe(before);
  });

  it('answers 415, 422 (unknown CSV column, query settings on JSON), 413 and 422 for too many items', async () => {
    expect((await post('video_url\nx\n', 'text/plain')).status).toBe(415);
    const column = await post(`video_url,seed\n${url(0)},1\n`, 'text/csv');
    expect(column.status).toBe(422);
    expect(column.body.error.details[0]).toMatchObject({ field: '(header).seed', rule: 'unknown_field' });
    expect(
      (await post(JSON.stringify({ items: [{ video_url: url(0) }] }), 'application/json', '?asmr_mode=1'))
        .status,
    ).toBe(422);

    const big = `{"video_url":"${url(0)}","sound_effect_prompt":"${'x'.repeat(150)}"}\n`.repeat(
      Math.ceil((BODY_LIMIT * 1.5) / 200),
    );
    const declared = await post(big, 'application/x-ndjson');
    expect(declared.status).toBe(413);
    const bigJson = JSON.stringify({
      items: [{ video_url: url(0), sound_effect_prompt: 'x'.repeat(BODY_LIMIT) }],
    });
    expect((await post(bigJson, 'application/json')).status).toBe(413);
    // Chunked (no Content-Length): the limit is found while streaming, and reading stops there.
    let sent = 0;
    const total = 1024; // 64 MiB offered: far past what socket buffers hold once the server stops reading
    const chunk = new TextEncoder().encode(big.slice(0, 64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= total) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await post(stream, 'application/x-ndjson');
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('body_too_large');
    expect(sent).toBeLessThan(total);

    const items = Array.from({ length: 10_001 }, (_, i) => ({ video_url: url(i) }));
    const many = await post(JSON.stringify({ items }), 'application/json');
    expect(many.status).toBe(422);
    expect(many.body.error.code).toBe('too_many_items');
  });

  it('replays an Idempotency-Key with the same body, refuses it with another body', async () => {
    const body = `{"video_url":"${url(0)}"}\n{"video_url":"bad"}\n`;
    const headers = { 'idempotency-key': `batch-${Date.now()}` };
    const first = await post(body, 'application/x-ndjson', '', headers);
    const again = await post(body, 'application/x-ndjson', '', headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.rejected).toEqual(first.body.rejected);
    const jobs = await stack.http('GET', `/v1/jobs?batch_id=${first.body.id}`);
    expect(jobs.body.data).toHaveLength(1);
    const other = await post(`{"video_url":"${url(1)}"}\n`, 'application/x-ndjson', '', headers);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const otherType = await post(body, 'application/jsonl', '', headers);
    expect(otherType.status).toBe(200); // same format, same bytes: the alias is the same request
  });

  it('hides a batch from another key (404), also as a jobs filter and for cancel', async () => {
    const res = await post(`{"video_url":"${url(0)}"}\n`, 'application/x-ndjson');
    const id = res.body.id as string;
    expect((await stack.http('GET', `/v1/batches/${id}`, undefined, { key: API_KEY_B })).status).toBe(404);
    expect((await stack.http('GET', `/v1/jobs?batch_id=${id}`, undefined, { key: API_KEY_B })).status).toBe(
      404,
    );
    expect((await stack.http('POST', `/v1/batches/${id}/cancel`, undefined, { key: API_KEY_B })).status).toBe(
      404,
    );
    expect((await stack.http('GET', '/v1/batches/bat_nope')).status).toBe(404);
    expect((await stack.http('GET', `/v1/batches/${id}`)).status).toBe(200);
  });
});

describe('a 10,000-item batch', () => {
  it('is accepted in a couple of seconds, indexed and countable', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `{"video_url":"${url(i)}"}`).join('\n');
    const started = performance.now();
    const res = await post(lines, 'application/x-ndjson');
    const ms = performance.now() - started;
    console.log(`10,000-item batch accepted in ${Math.round(ms)} ms`);
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(10_000);
    expect(ms).toBeLessThan(15_000);
    expect(await stack.redis.zcard(`${stack.prefix}:foley:batch:${res.body.id}:jobs`)).toBe(10_000);
    const view = await stack.http('GET', `/v1/batches/${res.body.id}`);
    expect(view.body.counts).toEqual({ queued: 10_000, processing: 0, completed: 0, failed: 0, canceled: 0 });
    const job = await queue.getJob(
      (await stack.http('GET', `/v1/jobs?batch_id=${res.body.id}&limit=1`)).body.data[0].id,
    );
    expect(job?.opts.priority).toBeUndefined();
    expect(await stack.redis.zcard(`${stack.prefix}:foley:dispatch:ready`)).toBeGreaterThanOrEqual(10_000);

    const cancelStarted = performance.now();
    const canceled = await stack.http('POST', `/v1/batches/${res.body.id}/cancel`);
    console.log(`10,000-item batch canceled in ${Math.round(performance.now() - cancelStarted)} ms`);
    expect(canceled.body).toMatchObject({ status: 'canceled', counts: { queued: 0, canceled: 10_000 } });
  }, 90_000);
});

describe('POST /v1/batches/:id/cancel', () => {
  it('cancels every queued job, ends the batch as canceled and writes its manifest', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `{"video_url":"${url(i)}"}`).join('\n');
    const created = await post(lines, 'application/x-ndjson');
    const id = created.body.id as string;
    const res = await stack.http('POST', `/v1/batches/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'canceled',
      percent: 100,
      counts: { queued: 0, processing: 0, completed: 0, failed: 0, canceled: 30 },
    });
    const view = await waitFor(async () => {
      const v = await stack.http('GET', `/v1/batches/${id}`);
      return v.body.manifest ? v.body : undefined;
    });
    expect(view.finished_at).toBeTruthy();
    const manifest = await (await fetch(view.manifest.url)).text();
    const manifestLines = manifest
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(manifestLines.map((l) => l.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(manifestLines.map((l) => l.status))).toEqual(new Set(['canceled']));
    const jobs = await stack.http('GET', `/v1/jobs?batch_id=${id}&status=canceled&limit=100`);
    expect(jobs.body.data).toHaveLength(30);
    expect((await stack.http('POST', `/v1/batches/${id}/cancel`)).status).toBe(409);
  });
});

describe('POST /v1/uploads', () => {
  it('hands out a presigned PUT and a GET video_url that serves the uploaded bytes', async () => {
    const bytes = new Uint8Array(2048).fill(7);
    const res = await stack.http('POST', '/v1/uploads', {
      file_name: '../My Clip.MP4',
      content_type: 'video/mp4',
      size: bytes.length,
    });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^uploads\/tenant-a\/[0-9a-f]{24}\/My_Clip\.MP4$/);
    const put = await fetch(res.body.upload_url, {
      method: 'PUT',
      headers: res.body.upload_headers,
      body: bytes,
    });
    expect(put.status).toBe(200);
    const got = await fetch(res.body.video_url);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
  });

  it('refuses other types, extensions and sizes over 100 MB', async () => {
    const bad = [
      { file_name: 'a.avi', content_type: 'video/x-msvideo', size: 10 },
      { file_name: 'a.mov', content_type: 'video/mp4', size: 10 },
      { file_name: 'a.mp4', content_type: 'video/mp4', size: 100_000_001 },
      { file_name: 'a.mp4', content_type: 'video/mp4', size: 10, extra: 1 },
    ];
    for (const body of bad) expect((await stack.http('POST', '/v1/uploads', body)).status).toBe(422);
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}
