import type { ApiError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { assertPlainUtf8, batchFormat, readStreamedBatch } from './read-batch';

async function* lines(count: number, pulled: { n: number }) {
  for (let i = 0; i < count; i++) {
    pulled.n++;
    yield Buffer.from(`{"video_url":"https://example.com/${i}.mp4"}\n`);
  }
}

const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ApiError,
  );

describe('batchFormat', () => {
  it('maps content types, ignoring parameters and case', () => {
    expect(batchFormat('application/json; charset=utf-8')).toBe('json');
    expect(batchFormat('application/x-ndjson')).toBe('jsonl');
    expect(batchFormat('Application/JSONL')).toBe('jsonl');
    expect(batchFormat('text/csv;charset=UTF-8')).toBe('csv');
  });

  it('answers 415 for anything else', () => {
    for (const type of ['text/plain', undefined, 'application/xml']) {
      expect(() => batchFormat(type)).toThrow(expect.objectContaining({ status: 415 }));
    }
  });
});

describe('assertPlainUtf8', () => {
  it('accepts UTF-8 (declared or not) without compression', () => {
    for (const [type, encoding] of [
      ['text/csv', undefined],
      ['text/csv; charset=UTF-8', 'identity'],
      ['application/x-ndjson;charset="utf8"', undefined],
    ]) {
      expect(() => assertPlainUtf8(type, encoding)).not.toThrow();
    }
  });

  it('answers 415 naming another charset or a compression', () => {
    expect(() => assertPlainUtf8('text/csv; charset=ISO-8859-1', undefined)).toThrow(
      expect.objectContaining({
        status: 415,
        code: 'unsupported_encoding',
        message: expect.stringContaining('iso-8859-1'),
      }),
    );
    expect(() => assertPlainUtf8('application/x-ndjson', 'gzip')).toThrow(
      expect.objectContaining({ status: 415, message: expect.stringContaining('gzip') }),
    );
  });
});

describe('readStreamedBatch', () => {
  it('accepts a multi-byte character split across chunks, and refuses bytes that are not UTF-8', async () => {
    const euro = Buffer.from('{"video_url":"https://example.com/€.mp4"}\n');
    const split = euro.indexOf(0xe2) + 1; // inside the three bytes of €
    async function* chunks(...parts: Buffer[]) {
      yield* parts;
    }
    const { items } = await readStreamedBatch(
      'jsonl',
      chunks(euro.subarray(0, split), euro.subarray(split)),
      {
        limit: 1024,
        maxItems: 10,
      },
    );
    expect(items[0]?.value).toEqual({ video_url: 'https://example.com/€.mp4' });

    for (const format of ['jsonl', 'csv'] as const) {
      const truncated = chunks(Buffer.from('video_url\nhttps://example.com/'), Buffer.from([0xe2, 0x82]));
      const error = await fail(readStreamedBatch(format, truncated, { limit: 1024, maxItems: 10 }));
      expect(error).toMatchObject({ status: 400, code: 'invalid_encoding' });
    }
  });

  it('reads 10,000 JSONL items, and hashes the raw bytes', async () => {
    const pulled = { n: 0 };
    const { items, digest } = await readStreamedBatch('jsonl', lines(10_000, pulled), {
      limit: 16 * 1024 * 1024,
      maxItems: 10_000,
    });
    expect(items).toHaveLength(10_000);
    expect(items[9_999]).toEqual({
      index: 9_999,
      line: 10_000,
      value: { video_url: 'https://example.com/9999.mp4' },
    });
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const again = await readStreamedBatch('jsonl', lines(10_000, { n: 0 }), {
      limit: 16e6,
      maxItems: 10_000,
    });
    expect(again.digest).toBe(digest);
  });

  it('answers 422 at the 10,001st item and stops reading', async () => {
    const pulled = { n: 0 };
    const error = await fail(
      readStreamedBatch('jsonl', lines(20_000, pulled), { limit: 16e6, maxItems: 10_000 }),
    );
    expect(error).toMatchObject({ status: 422, code: 'too_many_items' });
    expect(pulled.n).toBe(10_001);
  });

  it('answers 422 at the 10,001st CSV row too', async () => {
    async function* csv() {
      yield Buffer.from('video_url\n');
      for (let i = 0; i < 10_100; i += 100) {
        yield Buffer.from(
          Array.from({ length: 100 }, (_, j) => `https://example.com/${i + j}.mp4\n`).join(''),
        );
      }
    }
    const error = await fail(readStreamedBatch('csv', csv(), { limit: 16e6, maxItems: 10_000 }));
    expect(error).toMatchObject({ status: 422, code: 'too_many_items' });
  });

  it('answers 413 past the byte limit and stops reading', async () => {
    const pulled = { n: 0 };
    const error = await fail(
      readStreamedBatch('jsonl', lines(1_000, pulled), { limit: 4_096, maxItems: 10_000 }),
    );
    expect(error).toMatchObject({ status: 413, code: 'body_too_large' });
    const lineBytes = '{"video_url":"https://example.com/10.mp4"}\n'.length;
    expect(pulled.n).toBeLessThan(4_096 / (lineBytes - 4) + 2);
  });

  it('answers 422 for a body without items', async () => {
    async function* blank() {
      yield Buffer.from('\n\r\n  \n');
    }
    const error = await fail(readStreamedBatch('jsonl', blank(), { limit: 1e6, maxItems: 10 }));
    expect(error).toMatchObject({ status: 422, code: 'validation_error' });
  });
});
