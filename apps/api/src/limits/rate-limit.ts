import { ApiError } from '@foley/shared/errors';
import type { FoleyKeys } from '@foley/shared/infra/keys';
import type { RequestHandler } from 'express';
import { tenantOf } from '../http/auth';
import type { TokenBucket } from './token-bucket';

/**
 * API_RATE_LIMIT per API key on every authenticated /v1 request, with the headers of the IETF httpapi
 * rate-limit draft: `RateLimit-Policy: "burst";q=<burst>;w=<seconds to refill>` and
 * `RateLimit: "burst";r=<left>;t=<seconds until full>`; a refusal adds `Retry-After`.
 */
export function rateLimit(deps: {
  bucket: TokenBucket;
  keys: Pick<FoleyKeys, 'rateBucket'>;
  rate: number;
  burst: number;
}): RequestHandler {
  const policy = `"burst";q=${deps.burst};w=${Math.max(1, Math.ceil(deps.burst / deps.rate))}`;
  return async (_req, res, next) => {
    const result = await deps.bucket.take(deps.keys.rateBucket(tenantOf(res)));
    res.set('RateLimit-Policy', policy);
    res.set('RateLimit', `"burst";r=${result.remaining};t=${Math.ceil(result.fullInMs / 1000)}`);
    if (result.allowed) return next();
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    res.set('Retry-After', String(seconds));
    throw new ApiError(
      'rate_limited',
      `more than ${deps.rate} requests per second (burst ${deps.burst}) with this API key; retry in ${seconds} s`,
      { limit_per_second: deps.rate, burst: deps.burst, retry_after_seconds: seconds },
    );
  };
}
