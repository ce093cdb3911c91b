import { ApiError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';
import type { RawItem } from './raw-item';

async function read(...parts: Array<string | Buffer>): Promise<RawItem[]> {
  const items: RawItem[] = [];
  async function* chunks() {
    for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part);
  }
  await parseCsv(chunks(), (item) => items.push(item));
  return items;
}

describe('parseCsv', () => {
  it('maps the header to fields, types asmr_mode and metadata, and drops empty cells', async () => {
    const items = await read(
      '\uFEFFvideo_url,sound_effect_prompt,asmr_mode,metadata\r\n',
      'https://a/1.mp4,"rain, on a roof",1,"{""k"":1}"\r\n',
      '\r\n',
      'https://a/2.mp4,,FALSE,\r\n',
      'https://a/3.mp4,"multi\nline ""quoted""",yes,\r\n',
    );
    expect(items).toEqual([
      {
        index: 0,
        line: 2,
        value: {
          video_url: 'https://a/1.mp4',
          sound_effect_prompt: 'rain, on a roof',
          asmr_mode: true,
          metadata: { k: 1 },
        },
      },
      { index: 1, line: 4, value: { video_url: 'https://a/2.mp4', asmr_mode: false } },
      {
        index: 2,
        line: 6,
        value: { video_url: 'https://a/3.mp4', sound_effect_prompt: 'multi\nline "quoted"', asmr_mode: true },
      },
    ]);
  });

  it('passes unconvertible cells on for the schema to name', async () => {
    const items = await read('video_url,asmr_mode,metadata\nhttps://a/1.mp4,maybe,{not json\n');
    expect(items[0]?.value).toEqual({
      video_url: 'https://a/1.mp4',
      asmr_mode: 'maybe',
      metadata: '{not json',
    });
  });

  it('reports a row with too many fields, and an unclosed quote, as items with issues', async () => {
    const items = await read('video_url\nhttps://a/1.mp4,extra\nhttps://a/2.mp4\n"https://a/3.mp4\n');
    expect(items.map((i) => [i.index, i.issues?.[0]?.rule ?? 'ok'])).toEqual([
      [0, 'column_count'],
      [1, 'ok'],
      [2, 'invalid_csv'],
    ]);
  });

  it('rejects unknown, duplicate and missing header columns as a whole (422)', async () => {
    const error = await read('video_url,seed,video_url\nhttps://a/1.mp4,1,x\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).details).toEqual([
      { field: '(header).seed', rule: 'unknown_field', message: 'unknown column "seed"' },
      { field: '(header).video_url', rule: 'duplicate', message: 'column "video_url" appears twice' },
    ]);
    const missing = await read('sound_effect_prompt\nrain\n').catch((e: unknown) => e);
    expect((missing as ApiError).details).toEqual([
      { field: '(header).video_url', rule: 'required', message: 'the header must name video_url' },
    ]);
  });

  it('rejects an empty body (no header)', async () => {
    await expect(read('\r\n\r\n')).rejects.toMatchObject({
      status: 422,
      message: 'the CSV body has no header row',
    });
  });

  it('stops when the sink throws, with that error', async () => {
    const stop = new ApiError('too_many_items', 'stop');
    const rows = ['video_url\n', ...Array.from({ length: 50 }, (_, i) => `https://a/${i}.mp4\n`)];
    let count = 0;
    async function* chunks() {
      for (const row of rows) yield Buffer.from(row);
    }
    await expect(
      parseCsv(chunks(), () => {
        if (++count > 2) throw stop;
      }),
    ).rejects.toBe(stop);
    expect(count).toBe(3);
  });
});
