import { ConfigError, loadConfig } from '@foley/shared/config';
import { createLogger } from '@foley/shared/logger';
import { type WorkerConfig, workerConfigSchema } from './config';
import { startWorker } from './start-worker';

/** Composition root of a worker process: config → workers → graceful shutdown on SIGTERM/SIGINT. */
async function main() {
  let config: WorkerConfig;
  try {
    config = loadConfig(workerConfigSchema);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`foley worker: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const worker = await startWorker(config, logger);
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, fal_concurrency: config.FAL_CONCURRENCY },
    `worker consuming queue "dubbing" (prefix ${config.QUEUE_PREFIX})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new jobs; jobs waiting on fal are handed back');
    await worker.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error('foley worker failed to start:', error);
  process.exit(1);
});
