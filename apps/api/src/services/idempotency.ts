import { canonicalJson, sha256Hex } from '@foley/shared/canonical-json';
import { ApiError } from '@foley/shared/errors';
import type { FoleyKeys } from '@foley/shared/keys';
import type { Redis } from 'ioredis';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Claim = { kind: 'new' } | { kind: 'replay'; resourceId: string };

/**
 * Idempotency-Key: the first request claims the key with the body's hash and the id it will create;
 * a repeat with the same body gets that id back, another body is a 422.
 */
export function createIdempotency(deps: { redis: Redis; keys: FoleyKeys; ttlMs: number }) {
  return {
    validateKey(key: string | undefined): string | undefined {
      if (key === undefined) return undefined;
      if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ApiError(
          422,
          'validation_error',
          'Idempotency-Key: must be 1–255 printable ASCII characters',
          [{ field: 'Idempotency-Key', rule: 'format', message: 'must be 1–255 printable ASCII characters' }],
        );
      }
      return key;
    },

    async claim(tenant: string, key: string, body: unknown, resourceId: string): Promise<Claim> {
      const redisKey = deps.keys.idempotency(tenant, key);
      const hash = sha256Hex(canonicalJson(body));
      const record = JSON.stringify({ hash, id: resourceId });
      const set = await deps.redis.set(redisKey, record, 'PX', deps.ttlMs, 'NX');
      if (set === 'OK') return { kind: 'new' };
      const existing = await deps.redis.get(redisKey);
      if (!existing) return this.claim(tenant, key, body, resourceId); // expired in between
      const parsed = JSON.parse(existing) as { hash: string; id: string };
      if (parsed.hash !== hash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request body',
          [{ field: 'Idempotency-Key', rule: 'same_body', message: 'was used with a different body' }],
        );
      }
      return { kind: 'replay', resourceId: parsed.id };
    },

    /** Frees a claim whose resource could not be created, so the client can retry with the same key. */
    async release(tenant: string, key: string): Promise<void> {
      await deps.redis.del(deps.keys.idempotency(tenant, key));
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
