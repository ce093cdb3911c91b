import { ConfigError, loadConfig } from '@foley/shared/infra/config';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from './config';

const base = { S3_BUCKET: 'foley-test', API_KEYS: 'a:key_for_tenant_a' };

describe('apiConfigSchema', () => {
  it('keeps Idempotency-Key records no longer than finished jobs are kept', () => {
    expect(loadConfig(apiConfigSchema, base).IDEMPOTENCY_TTL).toBe(24 * 3_600_000);
    expect(loadConfig(apiConfigSchema, { ...base, IDEMPOTENCY_TTL: '7d' }).IDEMPOTENCY_TTL).toBe(
      7 * 86_400_000,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, IDEMPOTENCY_TTL: '8d' })).toThrow(ConfigError);
    expect(() => loadConfig(apiConfigSchema, { ...base, IDEMPOTENCY_TTL: '8d' })).toThrow(
      /IDEMPOTENCY_TTL: must be at most 7d/,
    );
  });
});
