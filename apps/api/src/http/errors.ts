import { ApiError } from '@foley/shared/errors';
import type { RedisClient } from '@foley/shared/infra/redis';
import { isRedisUnavailableError } from '@foley/shared/infra/redis-errors';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { noteResponseError } from './request-context';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps every error to `{error: {code, message, details?, request_id}}`; a 500 only for real bugs. */
export function errorHandler(opts: { redis: RedisClient }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    const apiError = toApiError(err, opts.redis);
    // Logged once, on the response's own line (request-context), with this error attached.
    if (apiError.status >= 500) noteResponseError(res, err);
    if (apiError.status === 503) res.set('Retry-After', '5');
    const retryAfter = (apiError.details as { retry_after_seconds?: unknown } | undefined)
      ?.retry_after_seconds;
    if (apiError.status === 429 && typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
    res.status(apiError.status).json({
      error: {
        code: apiError.code,
        message: apiError.message,
        ...(apiError.details ? { details: apiError.details } : {}),
        ...(requestId ? { request_id: requestId } : {}),
      },
    });
  };
}

function toApiError(err: unknown, redis: RedisClient): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as BodyParserError & Error;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new ApiError('invalid_json', `the body is not valid JSON: ${e.message}`);
    case 'entity.too.large':
      return new ApiError('body_too_large', `the body exceeds the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_encoding', e.message);
    case 'request.aborted':
      return new ApiError('request_aborted', 'the client aborted the request');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ApiError(
      e.status === 413 ? 'body_too_large' : e.status === 415 ? 'unsupported_media_type' : 'bad_request',
      e.message,
    );
  }
  if (redis.status !== 'ready' || isRedisUnavailableError(e)) {
    return new ApiError('service_unavailable', 'the job store (Redis) is unavailable; retry shortly');
  }
  return new ApiError('internal_error', 'internal error');
}

/** Answers 503 at once while Redis is down instead of letting requests queue up behind it. */
export function requireRedis(redis: RedisClient): RequestHandler {
  return (_req, _res, next) => {
    if (redis.status !== 'ready') {
      throw new ApiError('service_unavailable', 'the job store (Redis) is unavailable; retry shortly');
    }
    next();
  };
}

export const notFoundRoute: RequestHandler = (req) => {
  throw new ApiError('not_found', `no route for ${req.method} ${req.path}`);
};

/** JSON routes take JSON only: anything else is 415, named. */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      throw new ApiError(
        'unsupported_media_type',
        `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`,
      );
    }
    next();
  };
}
