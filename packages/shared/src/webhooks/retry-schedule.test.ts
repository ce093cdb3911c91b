import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isId } from '../ids';
import { loadConfig, webhookEnv } from '../infra/config';
import { WEBHOOK_BACKOFF, webhookJobOptions } from '../queues/catalog';
import { eventIdFor, jobEventType, serializeEventBody } from './events';
import { webhookRetryDelay } from './retry-schedule';

describe('webhookRetryDelay', () => {
  const schedule = [5_000, 300_000, 1_800_000];

  it('follows the schedule: retry n waits schedule[n-1]', () => {
    expect([1, 2, 3].map((n) => webhookRetryDelay(schedule, n, () => 0))).toEqual(schedule);
    expect(webhookRetryDelay(schedule, 9, () => 0)).toBe(1_800_000); // past the end: the last entry
  });

  it('adds at most 10 % jitter, capped at a minute', () => {
    expect(webhookRetryDelay(schedule, 1, () => 0.999)).toBe(5_000 + 499);
    expect(webhookRetryDelay(schedule, 3, () => 0.999)).toBe(1_800_000 + 59_940);
  });

  it('gives jobs one attempt per entry plus the first, with the webhook backoff', () => {
    expect(webhookJobOptions('evt_x', schedule)).toMatchObject({
      jobId: 'evt_x',
      attempts: 4,
      backoff: { type: WEBHOOK_BACKOFF },
    });
  });
});

describe('webhookEnv', () => {
  const schema = z.object(webhookEnv);

  it('defaults to the documented schedule and a 15 s timeout', () => {
    const cfg = loadConfig(schema, {});
    expect(cfg.WEBHOOK_RETRY_SCHEDULE).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(cfg.WEBHOOK_TIMEOUT).toBe(15_000);
    expect(cfg.WEBHOOK_SECRET).toBeUndefined();
  });

  it('parses shortened schedules and secret lists, and names bad values without echoing secrets', () => {
    const secret = 'whsec_dGVzdC1zZWNyZXQtZm9yLWZvbGV5LXRlc3Rz';
    const cfg = loadConfig(schema, {
      WEBHOOK_RETRY_SCHEDULE: '100ms, 1s',
      WEBHOOK_SECRET: `${secret}, ${secret}`,
    });
    expect(cfg.WEBHOOK_RETRY_SCHEDULE).toEqual([100, 1_000]);
    expect(cfg.WEBHOOK_SECRET).toEqual([secret, secret]);
    expect(() => loadConfig(schema, { WEBHOOK_RETRY_SCHEDULE: '1s,later' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE/,
    );
    expect(() => loadConfig(schema, { WEBHOOK_SECRET: 'hunter2-plain' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadConfig(schema, { WEBHOOK_SECRET: 'hunter2-plain' })).not.toThrow(/hunter2/);
  });
});

describe('webhook events', () => {
  it('derives a stable evt_ id per resource and type', () => {
    const a = eventIdFor({ kind: 'job', id: 'job_1' }, 'job.completed');
    expect(isId(a, 'evt')).toBe(true);
    expect(eventIdFor({ kind: 'job', id: 'job_1' }, 'job.completed')).toBe(a);
    expect(eventIdFor({ kind: 'job', id: 'job_2' }, 'job.completed')).not.toBe(a);
    expect(eventIdFor({ kind: 'job', id: 'job_1' }, 'job.failed')).not.toBe(a);
  });

  it('maps final statuses to event types and serializes {type, timestamp, data}', () => {
    expect(jobEventType('completed')).toBe('job.completed');
    expect(jobEventType('failed')).toBe('job.failed');
    expect(jobEventType('canceled')).toBe('job.canceled');
    expect(jobEventType('processing')).toBeUndefined();
    expect(JSON.parse(serializeEventBody('batch.completed', { id: 'bat_1' }, 0))).toEqual({
      type: 'batch.completed',
      timestamp: '1970-01-01T00:00:00.000Z',
      data: { id: 'bat_1' },
    });
  });
});
