import { ApiError } from '@foley/shared/errors';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RedisClient } from '@foley/shared/infra/redis';

const HOUR_MS = 3_600_000;

/** How many upload URLs a tenant may be handed per clock hour. */
export interface UploadQuota {
  /** Counts one URL for `tenant`; throws ApiError('upload_quota_exceeded') once the hour's limit is spent. */
  take(tenant: string): Promise<void>;
}

/**
 * A fixed-window counter per tenant per clock hour in Redis (INCR, expiring with its hour), so every
 * API process shares it. A refused request still counts: a client hammering past the limit gains nothing.
 */
export function createUploadQuota(deps: {
  redis: RedisClient;
  keys: Pick<FoleyKeys, 'uploadUrls'>;
  perHour: number;
  now?: () => number;
}): UploadQuota {
  const now = deps.now ?? Date.now;
  return {
    async take(tenant) {
      const at = now();
      const hour = Math.floor(at / HOUR_MS);
      const key = deps.keys.uploadUrls(tenant, hour);
      const [[incrError, count] = [], [expireError] = []] =
        (await deps.redis
          .multi()
          .incr(key)
          .pexpire(key, HOUR_MS * 2)
          .exec()) ?? [];
      if (incrError) throw incrError;
      if (expireError) throw expireError;
      if (Number(count) <= deps.perHour) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(((hour + 1) * HOUR_MS - at) / 1000));
      throw new ApiError(
        'upload_quota_exceeded',
        `at most ${deps.perHour} upload URLs per hour; retry after ${retryAfterSeconds} s`,
        { limit: deps.perHour, retry_after_seconds: retryAfterSeconds },
      );
    },
  };
}
