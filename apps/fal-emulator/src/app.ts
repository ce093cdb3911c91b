import express, { type NextFunction, type Request, type Response } from 'express';
import type { EmulatorContext } from './context';
import { PLATFORM_HOST } from './fal-contract';
import { sendJson } from './http';
import { controlRouter } from './routes/control';
import { filesRouter } from './routes/files';
import { jwksRouter } from './routes/jwks';
import { platformRouter } from './routes/platform';
import { queueRouter } from './routes/queue';
import { storageRouter, uploadRouter } from './routes/storage';
import { syncRouter } from './routes/sync';

/**
 * The emulator's HTTP surface. fal hosts are path prefixes (Foley's client rewrites
 * https://HOST/PATH to BASE/HOST/PATH); `/_emulator/…` is the emulator's own.
 */
export function createApp(ctx: EmulatorContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const started = Date.now();
    res.on('finish', () =>
      ctx.logger.debug(
        { method: req.method, path: req.path, status: res.statusCode, ms: Date.now() - started },
        'http',
      ),
    );
    next();
  });

  app.use('/_emulator/uploads', uploadRouter(ctx));
  app.use('/_emulator', controlRouter(ctx), filesRouter(ctx));
  for (const host of ['/rest.fal.ai', '/rest.alpha.fal.ai']) {
    app.use(host, jwksRouter(ctx));
    app.use(host, storageRouter(ctx));
  }
  app.use(`/${PLATFORM_HOST}`, platformRouter(ctx));
  app.use('/queue.fal.run', queueRouter(ctx));
  app.use('/fal.run', syncRouter(ctx));

  app.use((_req: Request, res: Response) => sendJson(res, 404, { detail: 'Not Found' }));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    const status = (error as { status?: unknown }).status;
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.parse.failed') {
      return sendJson(res, 422, {
        detail: [
          {
            loc: ['body'],
            msg: 'JSON decode error',
            type: 'json_invalid',
            url: 'https://docs.fal.ai/errors#json_invalid',
          },
        ],
      });
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendJson(res, status, { detail: error instanceof Error ? error.message : 'Bad request' });
    }
    ctx.logger.error({ err: error }, 'unhandled emulator error');
    sendJson(res, 500, { detail: 'Internal Server Error' });
  });
  return app;
}
