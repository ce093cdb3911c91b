import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './exit-codes';
import { classifyInputs } from './inputs';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'foley-cli-inputs-'));
  await writeFile(join(dir, 'a.mp4'), Buffer.alloc(10));
  await writeFile(join(dir, 'b.MOV'), Buffer.alloc(20));
  await writeFile(join(dir, 'list.csv'), 'video_url\n');
  await writeFile(join(dir, 'list.jsonl'), '');
});

describe('classifyInputs', () => {
  it('mixes URLs and local videos, with sizes and content types', async () => {
    const inputs = await classifyInputs(['https://x/v.mp4', join(dir, 'a.mp4'), join(dir, 'b.MOV')]);
    expect(inputs).toEqual({
      kind: 'videos',
      videos: [
        { kind: 'url', input: 'https://x/v.mp4', url: 'https://x/v.mp4' },
        {
          kind: 'local',
          input: join(dir, 'a.mp4'),
          path: join(dir, 'a.mp4'),
          fileName: 'a.mp4',
          contentType: 'video/mp4',
          size: 10,
        },
        {
          kind: 'local',
          input: join(dir, 'b.MOV'),
          path: join(dir, 'b.MOV'),
          fileName: 'b.MOV',
          contentType: 'video/quicktime',
          size: 20,
        },
      ],
    });
  });

  it('takes one .jsonl or .csv file as a batch', async () => {
    expect(await classifyInputs([join(dir, 'list.csv')])).toEqual({
      kind: 'batch-file',
      path: join(dir, 'list.csv'),
      contentType: 'text/csv',
    });
    expect(await classifyInputs([join(dir, 'list.jsonl')])).toMatchObject({
      contentType: 'application/x-ndjson',
    });
  });

  it('refuses usage mistakes', async () => {
    for (const args of [
      [],
      [join(dir, 'list.csv'), 'https://x/v.mp4'],
      [join(dir, 'missing.mp4')],
      ['notes.txt'],
      [dir],
    ]) {
      await expect(classifyInputs(args)).rejects.toBeInstanceOf(UsageError);
    }
  });
});
