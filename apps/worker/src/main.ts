import { createLogger } from '@foley/shared/infra/logger';
import { loadConfigOrExit, onShutdownSignal } from '@foley/shared/infra/process';
import { workerConfigSchema } from './config';
import { startWorker } from './start-worker';

/** Composition root of a worker process: config → workers → graceful shutdown on SIGTERM/SIGINT. */
async function main() {
  const config = loadConfigOrExit(workerConfigSchema, 'worker');
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const worker = await startWorker(config, logger);
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, fal_concurrency: config.FAL_CONCURRENCY },
    `worker consuming queue "dubbing" (prefix ${config.QUEUE_PREFIX})`,
  );

  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: no new jobs; jobs waiting on fal are handed back');
    await worker.close();
    logger.info('stopped');
  });
}

main().catch((error) => {
  console.error('foley worker failed to start:', error);
  process.exit(1);
});
