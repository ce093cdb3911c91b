import type { QuotaRefusal } from '@foley/shared/dispatch/ready-entry';
import { ApiError } from '@foley/shared/errors';

/** TENANT_MAX_QUEUED refused `adding` more jobs; nothing was enqueued. */
export function quotaExceeded(refusal: QuotaRefusal, adding: number): ApiError {
  return new ApiError(
    'quota_exceeded',
    `at most ${refusal.limit} unfinished jobs per tenant (TENANT_MAX_QUEUED); ${refusal.current} are queued or processing, ${adding} more would pass it`,
    { limit: refusal.limit, current: refusal.current, requested: adding },
  );
}
