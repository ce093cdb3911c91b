import { describe, expect, it } from 'vitest';
import { backoffDelay, pollDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles per attempt within [delay/2, delay] and caps at maxMs', () => {
    const lo = () => 0;
    const hi = () => 1;
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 60_000, random: lo })).toBe(500);
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 60_000, random: hi })).toBe(1000);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60_000, random: hi })).toBe(4000);
    expect(backoffDelay(20, { baseMs: 1000, maxMs: 60_000, random: hi })).toBe(60_000);
    expect(backoffDelay(20, { baseMs: 1000, maxMs: 60_000, random: lo })).toBe(30_000);
  });

  it('never retries sooner than Retry-After', () => {
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 60_000, retryAfterMs: 7000, random: () => 1 })).toBe(7000);
    expect(backoffDelay(6, { baseMs: 1000, maxMs: 60_000, retryAfterMs: 100, random: () => 1 })).toBe(32_000);
  });
});

describe('pollDelay', () => {
  it('grows by 1.5x from the first delay up to the max', () => {
    expect(pollDelay(0, { firstMs: 1000, maxMs: 10_000 })).toBe(1000);
    expect(pollDelay(1, { firstMs: 1000, maxMs: 10_000 })).toBe(1500);
    expect(pollDelay(10, { firstMs: 1000, maxMs: 10_000 })).toBe(10_000);
  });
});
