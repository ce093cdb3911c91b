import { createLogger } from '@foley/shared/infra/logger';
import { loadConfigOrExit, onShutdownSignal } from '@foley/shared/infra/process';
import { emulatorConfigSchema } from './config';
import { startEmulator } from './server';

/** `pnpm emulator`: the fal emulator on FAL_EMULATOR_PORT until SIGTERM/SIGINT. */
async function main() {
  const config = loadConfigOrExit(emulatorConfigSchema, 'fal-emulator');
  const logger = createLogger({ name: 'fal-emulator', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const emulator = await startEmulator({
    port: config.FAL_EMULATOR_PORT,
    host: config.FAL_EMULATOR_HOST,
    delayMs: config.FAL_EMULATOR_DELAY_MS,
    concurrency: config.FAL_EMULATOR_CONCURRENCY,
    media: config.FAL_EMULATOR_MEDIA,
    retainMs: config.FAL_EMULATOR_RETAIN,
    sseKeepaliveMs: config.FAL_EMULATOR_SSE_KEEPALIVE_MS,
    logger,
    ...(config.FAL_EMULATOR_PUBLIC_URL ? { publicUrl: config.FAL_EMULATOR_PUBLIC_URL } : {}),
  });
  logger.info(
    {
      url: emulator.url,
      publicUrl: emulator.publicUrl,
      delayMs: config.FAL_EMULATOR_DELAY_MS,
      media: config.FAL_EMULATOR_MEDIA,
    },
    `fal emulator listening on ${emulator.url} (FAL_BASE_URL=${emulator.url}); sample video: ${emulator.publicUrl}/_emulator/samples/sample.mp4`,
  );
  // Render the samples now so the first user request does not wait for ffmpeg.
  void fetch(`${emulator.url}/_emulator/samples/sample.mp4`, { method: 'HEAD' }).catch(() => undefined);
  void fetch(`${emulator.url}/_emulator/samples/sample.mov`, { method: 'HEAD' }).catch(() => undefined);

  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'fal emulator stopping');
    await emulator.close();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
