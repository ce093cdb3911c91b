import { ApiError } from '@foley/shared/errors';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';
import { canonicalJson, sha256Hex } from './canonical-json';
import { createRetryWhenReady, type RetryWhenReady } from './retry-when-ready';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; resourceId: string; claimedAt: number; record: string };

/** A claim whose resource still does not exist this long after is from a request that died. */
export const ABANDONED_CLAIM_MS = 2 * 60_000;

// Replaces the record only if it is still the one the caller read (two takers: one wins).
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

// Deletes the claim only while it is still the one for this resource (a takeover may have replaced it).
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, record = pcall(cjson.decode, v)
if ok and record.id == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const requestInProgress = () =>
  new ApiError('request_in_progress', 'a request with this Idempotency-Key is still being processed');

export interface Idempotency {
  /** The key as given when it is well-formed; a 400 naming the header otherwise. */
  validateKey(key: string | undefined): string | undefined;
  claim(tenant: string, key: string, body: unknown, resourceId: string): Promise<Claim>;
  /**
   * A replay found no resource: the first request is still creating it (false: answer 409), or it died
   * between claim and create (a crash, a lost connection) and, once the claim is old enough, this
   * request takes the key over for `resourceId` (true) instead of the client getting 409 until the TTL.
   */
  takeOver(
    tenant: string,
    key: string,
    claim: Extract<Claim, { kind: 'replay' }>,
    body: unknown,
    resourceId: string,
  ): Promise<boolean>;
  /**
   * Frees the claim for `resourceId`, whose creation failed, so the client can retry with the same key.
   * When Redis refuses (the outage that failed the create), it is done the moment Redis is ready again —
   * after `absent()` confirms the resource really was not created (a lost reply can hide a success).
   */
  release(tenant: string, key: string, resourceId: string, absent: () => Promise<boolean>): Promise<void>;
}

/**
 * Idempotency-Key: the first request claims the key with the body's hash and the id it will create;
 * a repeat with the same body gets that id back, another body is a 422.
 */
export function createIdempotency(deps: {
  redis: RedisClient;
  keys: FoleyKeys;
  ttlMs: number;
  now?: () => number;
  /** Where a release that Redis refused waits for Redis (default: retried on the client's next 'ready'). */
  retry?: RetryWhenReady;
}): Idempotency {
  const retry = deps.retry ?? createRetryWhenReady({ redis: deps.redis });
  const now = deps.now ?? Date.now;
  const recordOf = (body: unknown, resourceId: string) =>
    JSON.stringify({ hash: sha256Hex(canonicalJson(body)), id: resourceId, at: now() });

  return {
    validateKey(key: string | undefined): string | undefined {
      if (key === undefined) return undefined;
      if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ApiError('validation_error', 'Idempotency-Key: must be 1–255 printable ASCII characters', [
          { field: 'Idempotency-Key', rule: 'format', message: 'must be 1–255 printable ASCII characters' },
        ]);
      }
      return key;
    },

    async claim(tenant: string, key: string, body: unknown, resourceId: string): Promise<Claim> {
      const redisKey = deps.keys.idempotency(tenant, key);
      const hash = sha256Hex(canonicalJson(body));
      const set = await deps.redis.set(redisKey, recordOf(body, resourceId), 'PX', deps.ttlMs, 'NX');
      if (set === 'OK') return { kind: 'new' };
      const existing = await deps.redis.get(redisKey);
      if (!existing) return this.claim(tenant, key, body, resourceId); // expired in between
      const parsed = JSON.parse(existing) as { hash: string; id: string; at?: number };
      if (parsed.hash !== hash) {
        throw new ApiError(
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request body',
          [{ field: 'Idempotency-Key', rule: 'same_body', message: 'was used with a different body' }],
        );
      }
      // Records written before `at` existed count as fresh: never taken over while they might be live.
      return { kind: 'replay', resourceId: parsed.id, claimedAt: parsed.at ?? now(), record: existing };
    },

    /**
     * A replay found no resource: the first request is still creating it (false: answer 409), or it died
     * between claim and create (a crash, a lost connection) and, once the claim is old enough, this
     * request takes the key over for `resourceId` (true) instead of the client getting 409 until the TTL.
     */
    async takeOver(
      tenant: string,
      key: string,
      claim: Extract<Claim, { kind: 'replay' }>,
      body: unknown,
      resourceId: string,
    ): Promise<boolean> {
      if (now() - claim.claimedAt < ABANDONED_CLAIM_MS) return false;
      const taken = await deps.redis.eval(
        TAKE_OVER,
        1,
        deps.keys.idempotency(tenant, key),
        claim.record,
        recordOf(body, resourceId),
        deps.ttlMs,
      );
      return taken === 1;
    },

    async release(tenant, key, resourceId, absent) {
      const redisKey = deps.keys.idempotency(tenant, key);
      await retry.run(async () => {
        // A create whose reply was lost may have landed: then the claim stays and a retry replays it.
        if (!(await absent())) return;
        await deps.redis.eval(RELEASE, 1, redisKey, resourceId);
      });
    },
  };
}
