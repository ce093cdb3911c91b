import { describe, expect, it } from 'vitest';
import { failureRows, formatTable } from './failures';

describe('failureRows', () => {
  it('lists failed and canceled jobs in item order, with the input the user gave', () => {
    const jobs = [
      {
        id: 'j3',
        status: 'canceled',
        batch_index: 3,
        input: { video_url: 'https://x/3.mp4' },
        error: { code: 'canceled', message: 'by you' },
      },
      { id: 'j0', status: 'completed', batch_index: 0 },
      {
        id: 'j1',
        status: 'failed',
        batch_index: 1,
        input: { video_url: 'https://s3/upload' },
        error: { code: 'video_too_long', message: '21 s' },
      },
    ];
    expect(failureRows(jobs, new Map([[1, './clip.mp4']]))).toEqual([
      { index: 1, input: './clip.mp4', code: 'video_too_long', message: '21 s' },
      { index: 3, input: 'https://x/3.mp4', code: 'canceled', message: 'by you' },
    ]);
  });
});

describe('formatTable', () => {
  it('aligns columns and cuts long cells', () => {
    const table = formatTable(
      ['A', 'LONG'],
      [
        ['1', 'x'.repeat(10)],
        ['22', 'y'],
      ],
      6,
    );
    expect(table.split('\n')).toEqual(['A   LONG', '1   xxxxx…', '22  y']);
  });
});
