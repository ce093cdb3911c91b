import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createRetryWhenReady } from './retry-when-ready';

describe('createRetryWhenReady', () => {
  it('runs a task at once; one that fails runs again on the next ready, until it succeeds', async () => {
    const redis = new EventEmitter();
    const retry = createRetryWhenReady({ redis: redis as never });
    let up = false;
    let runs = 0;
    await retry.run(async () => {
      runs++;
      if (!up) throw new Error('Connection is closed.');
    });
    expect([runs, retry.pending()]).toEqual([1, 1]);
    redis.emit('ready');
    await new Promise((r) => setImmediate(r));
    expect([runs, retry.pending()]).toEqual([2, 1]); // still down
    up = true;
    redis.emit('ready');
    await new Promise((r) => setImmediate(r));
    expect([runs, retry.pending()]).toEqual([3, 0]);
  });

  it('is bounded: past maxPending the oldest is dropped, and so is one older than maxAgeMs', async () => {
    const redis = new EventEmitter();
    let clock = 0;
    const dropped: unknown[] = [];
    const retry = createRetryWhenReady({
      redis: redis as never,
      maxPending: 2,
      maxAgeMs: 1_000,
      now: () => clock,
      onDropped: (e) => dropped.push(e),
    });
    const failing = async () => {
      throw new Error('down');
    };
    for (let i = 0; i < 3; i++) await retry.run(failing);
    expect([retry.pending(), dropped.length]).toEqual([2, 1]);
    clock = 2_000;
    redis.emit('ready');
    await new Promise((r) => setImmediate(r));
    expect([retry.pending(), dropped.length]).toEqual([0, 3]);
  });
});
