import { ConfigError, loadConfig } from '@foley/shared/config';
import { createLogger } from '@foley/shared/logger';
import { apiConfigSchema } from './config';
import { startApi } from './server';

/** Composition root of the API process: config → server → graceful shutdown on SIGTERM/SIGINT. */
async function main() {
  let config: ReturnType<typeof loadConfig<typeof apiConfigSchema>>;
  try {
    config = loadConfig(apiConfigSchema);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`foley api: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const api = await startApi(config, logger);
  logger.info({ port: api.port }, `API listening on ${api.url}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await api.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error('foley api failed to start:', error);
  process.exit(1);
});
