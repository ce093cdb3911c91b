import type { Logger } from '@foley/shared/infra/logger';
import type { RedisClient } from '@foley/shared/infra/redis';
import express, { type RequestHandler, type Router } from 'express';
import { type ApiKey, requireApiKey } from './http/auth';
import { errorHandler, notFoundRoute, requireRedis } from './http/errors';
import { requestContext } from './http/request-context';

/**
 * The Express app: public routes (health, docs, metrics, dashboard) first, fal's webhook, then
 * everything else under /v1 behind the API key. Routers are built by the composition root and passed in.
 */
export function createApp(deps: {
  logger: Logger;
  redis: RedisClient;
  apiKeys: ApiKey[];
  /** Unauthenticated routes outside /v1: health, OpenAPI, metrics, the dashboard (own auth). */
  publicRouters: Router[];
  /** Unauthenticated routes under /v1 (fal's inbound webhook, verified by its own signature). */
  publicV1Routers?: Router[];
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
  // A /v1 request skips the public routers in one check instead of walking each of them.
  const publicRoutes = express.Router();
  for (const router of deps.publicRouters) publicRoutes.use(router);
  app.use((req, res, next) => (req.path.startsWith('/v1/') ? next() : publicRoutes(req, res, next)));
  for (const router of deps.publicV1Routers ?? []) app.use(router);
  app.use('/v1', requireApiKey(deps.apiKeys), requireRedis(deps.redis), ...(deps.apiLimits ?? []));
  for (const router of deps.apiRouters) app.use(router);
  app.use(notFoundRoute);
  app.use(errorHandler({ redis: deps.redis }));
  return app;
}
