import { describe, expect, it } from 'vitest';
import { createFoleyClient } from './client.js';

describe('jobs.list', () => {
  it('yields every job across pages, fetching the next page only when reached', async () => {
    const urls: string[] = [];
    const pages: Record<string, { data: Array<{ id: string }>; next_cursor: string | null }> = {
      '': { data: [{ id: 'job_a' }, { id: 'job_b' }], next_cursor: 'job_b' },
      job_b: { data: [{ id: 'job_c' }, { id: 'job_d' }], next_cursor: 'job_d' },
      job_d: { data: [{ id: 'job_e' }], next_cursor: null },
    };
    const fetch = (async (url: URL) => {
      urls.push(String(url));
      const page = pages[url.searchParams.get('cursor') ?? ''];
      return new Response(JSON.stringify({ object: 'list', ...page }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const client = createFoleyClient({ apiUrl: 'http://api.test', fetch });

    const iterator = client.jobs
      .list({ status: 'completed', batchId: 'bat_1', limit: 2 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ id: 'job_a' });
    expect(urls).toHaveLength(1);
    expect(urls[0]).toBe('http://api.test/v1/jobs?status=completed&batch_id=bat_1&limit=2');

    const ids = ['job_a'];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) ids.push(r.value.id);
    expect(ids).toEqual(['job_a', 'job_b', 'job_c', 'job_d', 'job_e']);
    expect(urls.map((u) => new URL(u).searchParams.get('cursor'))).toEqual([null, 'job_b', 'job_d']);
  });

  it('ends when a cursor comes back instead of looping', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response(JSON.stringify({ data: [{ id: 'job_a' }], next_cursor: 'job_a' }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const client = createFoleyClient({ apiUrl: 'http://api.test', fetch });
    const seen: string[] = [];
    for await (const job of client.batches.jobs('bat_1')) seen.push(job.id);
    expect(calls).toBe(2);
    expect(seen).toEqual(['job_a', 'job_a']);
  });
});
