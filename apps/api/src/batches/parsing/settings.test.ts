import { describe, expect, it } from 'vitest';
import type { RawItem } from './raw-item';
import { parseBatchQuery, readJsonBatch } from './settings';

describe('parseBatchQuery', () => {
  it('reads atomic and, for JSONL/CSV, the batch settings', () => {
    const q = parseBatchQuery(
      {
        atomic: 'true',
        webhook_url: 'https://hooks.example.com/foley',
        metadata: '{"run":7}',
        sound_effect_prompt: 'rain',
        asmr_mode: '1',
      },
      'csv',
    );
    expect(q).toEqual({
      atomic: true,
      dryRun: false,
      settings: {
        webhook_url: 'https://hooks.example.com/foley',
        metadata: { run: 7 },
        defaults: { sound_effect_prompt: 'rain', asmr_mode: true },
      },
    });
    expect(parseBatchQuery({}, 'jsonl')).toEqual({ atomic: false, dryRun: false, settings: {} });
    expect(parseBatchQuery({ dry_run: 'true' }, 'json')).toEqual({
      atomic: false,
      dryRun: true,
      settings: {},
    });
  });

  it('rejects unknown parameters, bad values, and settings in the query of a JSON batch', () => {
    expect(() => parseBatchQuery({ seed: '1' }, 'csv')).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => parseBatchQuery({ atomic: 'yes please' }, 'csv')).toThrow(
      expect.objectContaining({ status: 422 }),
    );
    expect(() => parseBatchQuery({ metadata: '{' }, 'csv')).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => parseBatchQuery({ webhook_url: 'ftp://x' }, 'csv')).toThrow(
      expect.objectContaining({ status: 422 }),
    );
    expect(() => parseBatchQuery({ webhook_url: 'https://h.example.com' }, 'json')).toThrow(
      expect.objectContaining({
        status: 422,
        details: [expect.objectContaining({ field: 'query.webhook_url' })],
      }),
    );
  });
});

describe('readJsonBatch', () => {
  it('returns the settings and hands every item on with its index', () => {
    const items: RawItem[] = [];
    const settings = readJsonBatch(
      {
        items: [{ video_url: 'https://a/1.mp4' }, 'not an object'],
        webhook_url: 'https://hooks.example.com/x',
        defaults: { asmr_mode: true },
      },
      10,
      (i) => items.push(i),
    );
    expect(settings).toEqual({ webhook_url: 'https://hooks.example.com/x', defaults: { asmr_mode: true } });
    expect(items).toEqual([
      { index: 0, value: { video_url: 'https://a/1.mp4' } },
      { index: 1, value: 'not an object' },
    ]);
  });

  it('rejects a body that is not an envelope, unknown top-level fields, bad defaults, and too many items', () => {
    const sink = () => {};
    expect(() => readJsonBatch([{ video_url: 'x' }], 10, sink)).toThrow(
      expect.objectContaining({ status: 422 }),
    );
    expect(() => readJsonBatch({ items: [], seed: 1 }, 10, sink)).toThrow(
      expect.objectContaining({
        details: expect.arrayContaining([expect.objectContaining({ field: 'seed', rule: 'unknown_field' })]),
      }),
    );
    expect(() => readJsonBatch({ items: [{}], defaults: { video_url: 'https://a' } }, 10, sink)).toThrow(
      expect.objectContaining({ status: 422 }),
    );
    const many = { items: Array.from({ length: 11 }, () => ({})) };
    expect(() => readJsonBatch(many, 10, sink)).toThrow(expect.objectContaining({ code: 'too_many_items' }));
  });
});
