import { describe, expect, it } from 'vitest';
import { parseJsonl } from './jsonl';
import type { RawItem } from './raw-item';

async function* chunks(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

async function read(...parts: string[]): Promise<RawItem[]> {
  const items: RawItem[] = [];
  await parseJsonl(chunks(...parts), (item) => items.push(item));
  return items;
}

describe('parseJsonl', () => {
  it('reads one object per line with LF or CRLF, skipping blank lines and a BOM', async () => {
    const items = await read(
      '\uFEFF{"video_url":"https://a/1.mp4"}\r\n\r\n',
      '  \n{"video_url":"https://a/2.mp4"}',
    );
    expect(items).toEqual([
      { index: 0, line: 1, value: { video_url: 'https://a/1.mp4' } },
      { index: 1, line: 4, value: { video_url: 'https://a/2.mp4' } },
    ]);
  });

  it('joins lines split across chunks, even inside a multi-byte character', async () => {
    const text = '{"sound_effect_prompt":"café ☕"}\n';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ☕
    const items: RawItem[] = [];
    async function* split() {
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut);
    }
    await parseJsonl(split(), (item) => items.push(item));
    expect(items).toEqual([{ index: 0, line: 1, value: { sound_effect_prompt: 'café ☕' } }]);
  });

  it('turns malformed and non-object lines into items with issues, and keeps reading', async () => {
    const items = await read('{"video_url": "x"\n[1,2]\n"text"\n{"video_url":"https://a/3.mp4"}\n');
    expect(items.map((i) => [i.index, i.line, i.issues?.[0]?.rule])).toEqual([
      [0, 1, 'invalid_json'],
      [1, 2, 'invalid_type'],
      [2, 3, 'invalid_type'],
      [3, 4, undefined],
    ]);
    expect(items[3]?.value).toEqual({ video_url: 'https://a/3.mp4' });
  });

  it('stops reading when the sink throws (item limit)', async () => {
    let pulled = 0;
    async function* many() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield Buffer.from(`{"video_url":"https://a/${i}.mp4"}\n`);
      }
    }
    const seen: RawItem[] = [];
    const stop = new Error('too many');
    await expect(
      parseJsonl(many(), (item) => {
        if (seen.length === 3) throw stop;
        seen.push(item);
      }),
    ).rejects.toBe(stop);
    expect(pulled).toBe(4);
  });
});
