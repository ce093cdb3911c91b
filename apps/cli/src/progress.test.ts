import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, estimateEtaMs, formatDuration, progressLine } from './progress';

const view = (completed: number, failed = 0, processing = 0) => ({
  status: 'processing',
  total: 10,
  percent: (completed + failed) * 10,
  counts: { queued: 10 - completed - failed - processing, processing, completed, failed, canceled: 0 },
});

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

describe('progress', () => {
  it('estimates the remaining time from the rate so far', () => {
    expect(estimateEtaMs(0, 10, 5_000)).toBeUndefined();
    expect(estimateEtaMs(2, 10, 4_000)).toBe(16_000);
    expect(estimateEtaMs(10, 10, 4_000)).toBe(0);
  });

  it('formats durations', () => {
    expect(formatDuration(undefined)).toBe('?');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });

  it('prints a plain line per change of the counts when not on a terminal', () => {
    let now = 0;
    const out = sink(false);
    const progress = createProgress({ stream: out.stream, now: () => now });
    progress.update(view(0, 0, 2));
    now = 1_000;
    progress.update(view(0, 0, 2)); // same counts: no new line
    now = 2_000;
    progress.update(view(2, 1, 2));
    progress.stop();
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      progressLine(view(0, 0, 2), undefined),
      'progress 3/10 (30%) completed 2 failed 1 canceled 0 running 2 queued 5 eta 5s',
    ]);
  });

  it('draws a bar on a terminal', () => {
    const out = sink(true);
    const progress = createProgress({ stream: out.stream });
    progress.update(view(5, 0, 1));
    progress.stop();
    expect(out.text()).toContain('5/10');
    expect(out.text()).toContain('ok 5 failed 0');
  });
});
