import { createServer, type ServerResponse } from 'node:http';
import type { Logger } from '@foley/shared/infra/logger';
import { type ReadinessCheck, readiness, readinessResponse } from '@foley/shared/infra/readiness';
import type { Registry } from 'prom-client';

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's operations endpoint (it serves no other HTTP): `/metrics` for Prometheus, `/healthz`
 * (the process is alive) and `/readyz` (Redis and S3 answer; 503 names the part that does not).
 */
export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  checks: ReadinessCheck[];
  logger?: Logger;
}): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    const route = routes[path ?? ''];
    if (!route) return json(res, 404, { error: `no route for ${path}` });
    route(res).catch((error: unknown) => {
      opts.logger?.error({ err: error }, `ops server: ${path} failed`);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    '/metrics': async (res) => {
      const text = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text);
    },
    '/healthz': async (res) => json(res, 200, { status: 'ok' }),
    '/readyz': async (res) => {
      const { status, body } = readinessResponse(await readiness(opts.checks));
      json(res, status, body);
    },
  };

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
