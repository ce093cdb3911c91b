import type { Logger } from '@foley/shared/infra/logger';
import express, { type RequestHandler, type Router } from 'express';
import type { Redis } from 'ioredis';
import { type ApiKey, requireApiKey } from './http/auth';
import { errorHandler, notFoundRoute, requireRedis } from './http/errors';
import { requestContext } from './http/request-context';

/**
 * The Express app: public routes (health, docs, metrics, dashboard) first, then everything under /v1
 * behind the API key. Routers are built by the composition root and passed in.
 */
export function createApp(deps: {
  logger: Logger;
  redis: Redis;
  apiKeys: ApiKey[];
  /** Unauthenticated routes: health, OpenAPI, metrics, inbound fal webhook, the dashboard (own auth). */
  publicRouters: Router[];
  /** Routes under /v1 that need an API key. */
  apiRouters: Router[];
  /** Runs after the API key is known, before any /v1 route (the per-key rate limit). */
  apiLimits?: RequestHandler[];
}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(...requestContext(deps.logger));
  for (const router of deps.publicRouters) app.use(router);
  app.use('/v1', requireApiKey(deps.apiKeys), requireRedis(deps.redis), ...(deps.apiLimits ?? []));
  for (const router of deps.apiRouters) app.use(router);
  app.use(notFoundRoute);
  app.use(errorHandler({ redis: deps.redis }));
  return app;
}
