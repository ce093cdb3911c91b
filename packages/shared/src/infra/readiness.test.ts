import { describe, expect, it } from 'vitest';
import { publicReason, readinessResponse } from './readiness';

describe('readinessResponse', () => {
  it('names the failing part without the internal address in the client error', () => {
    const { status, body } = readinessResponse({
      ok: false,
      checks: { redis: { ok: false, error: 'connect ECONNREFUSED 10.1.2.3:6379' }, s3: { ok: true } },
    });
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'unavailable',
      failing: ['redis'],
      checks: { redis: { ok: false, error: 'connection refused' }, s3: { ok: true } },
    });
    expect(JSON.stringify(body)).not.toContain('10.1.2.3');
  });

  it.each([
    ['timed out', 'timed out'],
    ['NoSuchBucket: The specified bucket does not exist', 'bucket not found'],
    ['AccessDenied', 'access denied'],
    ['getaddrinfo ENOTFOUND redis.internal', 'unreachable'],
  ])('%s → %s', (message, reason) => {
    expect(publicReason(message)).toBe(reason);
  });
});
