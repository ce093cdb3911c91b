import { loadConfig } from '@foley/shared/infra/config';
import { describe, expect, it } from 'vitest';
import { workerConfigSchema } from './config';

const base = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  S3_BUCKET: 'bucket',
  FAL_KEY: 'k',
  WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtZm9yLWZvbGV5LXRlc3Rz',
};

describe('worker config: fal submit policy', () => {
  it('defaults: fal stores no IO, outputs expire after 1 d, no start timeout', () => {
    const config = loadConfig(workerConfigSchema, base);
    expect(config).toMatchObject({ FAL_STORE_IO: false, FAL_OUTPUT_TTL: 86_400_000 });
    expect(config.FAL_START_TIMEOUT).toBeUndefined();
  });

  it('reads FAL_STORE_IO, FAL_OUTPUT_TTL and FAL_START_TIMEOUT, and names a bad one', () => {
    const config = loadConfig(workerConfigSchema, {
      ...base,
      FAL_STORE_IO: 'true',
      FAL_OUTPUT_TTL: '2h',
      FAL_START_TIMEOUT: '90s',
    });
    expect(config).toMatchObject({
      FAL_STORE_IO: true,
      FAL_OUTPUT_TTL: 7_200_000,
      FAL_START_TIMEOUT: 90_000,
    });
    expect(() => loadConfig(workerConfigSchema, { ...base, FAL_START_TIMEOUT: '1s' })).toThrow(
      /FAL_START_TIMEOUT.*at least 2s/,
    );
  });
});

describe('worker config: inputs and lost submits', () => {
  it('defaults: inputs pinned, no resubmit of a lost submit, its wait derived from FAL_DEADLINE', () => {
    const config = loadConfig(workerConfigSchema, base);
    expect(config).toMatchObject({ PIN_INPUTS: true, RESUBMIT_UNKNOWN_SUBMITS: false });
    expect(config.UNKNOWN_SUBMIT_WAIT).toBeUndefined();
  });

  it('reads PIN_INPUTS, UNKNOWN_SUBMIT_WAIT and RESUBMIT_UNKNOWN_SUBMITS, and names a bad one', () => {
    const config = loadConfig(workerConfigSchema, {
      ...base,
      PIN_INPUTS: 'false',
      UNKNOWN_SUBMIT_WAIT: '3h',
      RESUBMIT_UNKNOWN_SUBMITS: 'true',
    });
    expect(config).toMatchObject({
      PIN_INPUTS: false,
      UNKNOWN_SUBMIT_WAIT: 3 * 3600_000,
      RESUBMIT_UNKNOWN_SUBMITS: true,
    });
    expect(() => loadConfig(workerConfigSchema, { ...base, RESUBMIT_UNKNOWN_SUBMITS: 'maybe' })).toThrow(
      /RESUBMIT_UNKNOWN_SUBMITS/,
    );
  });
});

describe('worker config: stalls', () => {
  it('a job survives 3 stalls by default; MAX_STALLED_COUNT changes it and names a bad value', () => {
    expect(loadConfig(workerConfigSchema, base).MAX_STALLED_COUNT).toBe(3);
    expect(loadConfig(workerConfigSchema, { ...base, MAX_STALLED_COUNT: '10' }).MAX_STALLED_COUNT).toBe(10);
    expect(() => loadConfig(workerConfigSchema, { ...base, MAX_STALLED_COUNT: '0' })).toThrow(
      /MAX_STALLED_COUNT/,
    );
  });
});
