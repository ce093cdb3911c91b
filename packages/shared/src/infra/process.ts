import type { z } from 'zod';
import { ConfigError, loadConfig } from './config';

/** Composition roots start here: a bad environment stops the process with the message naming each variable. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, processName: string): z.infer<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`foley ${processName}: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (1 if stopping fails). */
export function onShutdownSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}
