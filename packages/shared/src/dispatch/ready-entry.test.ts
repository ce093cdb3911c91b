import { describe, expect, it } from 'vitest';
import { readyEntry } from './ready-entry';

describe('readyEntry', () => {
  it('sorts a tenant’s jobs by priority (higher first), then by id (creation time)', () => {
    const entries = [
      readyEntry({ tenant: 'acme', id: 'job_b', priority: 5 }),
      readyEntry({ tenant: 'acme', id: 'job_c' }),
      readyEntry({ tenant: 'acme', id: 'job_z', priority: 10 }),
      readyEntry({ tenant: 'acme', id: 'job_a', priority: 1 }),
    ].sort();
    expect(entries).toEqual(['acme|0|job_z', 'acme|5|job_b', 'acme|5|job_c', 'acme|9|job_a']);
  });

  it('keeps each tenant inside its own lexicographic range [tenant| … (tenant}', () => {
    const inRange = (e: string, t: string) => e >= `${t}|` && e < `${t}}`;
    expect(inRange(readyEntry({ tenant: 'ab', id: 'job_1' }), 'ab')).toBe(true);
    expect(inRange(readyEntry({ tenant: 'ab.x', id: 'job_1' }), 'ab')).toBe(false);
    expect(inRange(readyEntry({ tenant: 'a', id: 'job_1' }), 'ab')).toBe(false);
  });
});
