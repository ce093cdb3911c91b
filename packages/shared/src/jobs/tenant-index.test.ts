import { describe, expect, it } from 'vitest';
import { newId } from '../ids';
import { JOB_RETENTION } from '../queues/catalog';
import { tenantIndexFloor } from './tenant-index';

const DAY = 24 * 3600 * 1000;

describe('tenantIndexFloor', () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  const floor = tenantIndexFloor(now).slice(1); // without ZRANGEBYLEX's `(`
  const retentionMs = JOB_RETENTION.failedSeconds * 1000;

  it('is exclusive and sorts above every id older than the longest retention, below every newer one', () => {
    expect(tenantIndexFloor(now).startsWith('(job_')).toBe(true);
    expect(newId('job', now - retentionMs - 1) < floor).toBe(true);
    expect(newId('job', now - retentionMs - 5 * DAY) < floor).toBe(true);
    expect(newId('job', now - retentionMs + 1) > floor).toBe(true);
    expect(newId('job', now - DAY) > floor).toBe(true);
    expect(newId('job', now) > floor).toBe(true);
  });
});
