import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe('newId', () => {
  it('makes prefixed ids BullMQ accepts: no colon, never all digits', () => {
    const id = newId('job');
    expect(id).toMatch(/^job_[0-9a-z]{26}$/);
    expect(id).not.toContain(':');
    expect(isId(id, 'job')).toBe(true);
    expect(isId(id, 'bat')).toBe(false);
  });

  it('sorts by creation time', () => {
    const a = newId('job', 1_700_000_000_000);
    const b = newId('job', 1_700_000_000_001);
    const c = newId('job', 1_800_000_000_000);
    expect([c, a, b].sort()).toEqual([a, b, c]);
  });

  it('does not collide', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('evt', 0)));
    expect(ids.size).toBe(10_000);
  });

  it('rejects ids of other shapes', () => {
    expect(isId('job_123')).toBe(false);
    expect(isId('job:01jd')).toBe(false);
    expect(isId(`job_${'u'.repeat(26)}`)).toBe(false); // u is not in Crockford base32
  });
});
