import { createLogger } from '@foley/shared/infra/logger';
import { loadConfigOrExit, onShutdownSignal } from '@foley/shared/infra/process';
import { apiConfigSchema } from './config';
import { startApi } from './server';

/** Composition root of the API process: config → server → graceful shutdown on SIGTERM/SIGINT. */
async function main() {
  const config = loadConfigOrExit(apiConfigSchema, 'api');
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const api = await startApi(config, logger);
  logger.info({ port: api.port }, `API listening on ${api.url}`);

  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => process.exit(1), 10_000).unref();
    await api.close();
    logger.info('stopped');
  });
}

main().catch((error) => {
  console.error('foley api failed to start:', error);
  process.exit(1);
});
