import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import express, { type Router } from 'express';
import { type ApiKey, requireApiKey } from './http/auth';
import { errorHandler, notFoundRoute, requireRedis } from './http/errors';
import { requestContext } from './http/request-context';

/**
 * The Express app: public routes (health, docs, metrics, dashboard) first, then everything under /v1
 * behind the API key. Routers are built by the composition root and passed in.
 */
export function createApp(deps: {
  logger: Logger;
  redis: RedisClient;
  apiKeys: ApiKey[];
  /** Unauthenticated routes: health, OpenAPI, metrics, inbound fal webhook, the dashboard (own auth). */
  publicRouters: Router[];
  /** Routes under /v1 that need an API key. */
  apiRouters: Router[];
}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(...requestContext(deps.logger));
  for (const router of deps.publicRouters) app.use(router);
  app.use('/v1', requireApiKey(deps.apiKeys), requireRedis(deps.redis));
  for (const router of deps.apiRouters) app.use(router);
  app.use(notFoundRoute);
  app.use(errorHandler({ redis: deps.redis }));
  return app;
}
