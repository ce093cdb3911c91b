import { bool, duration, logLevel, port } from '@foley/shared/infra/config';
import { z } from 'zod';

/** The emulator's environment (read once by main.ts). */
export const emulatorConfigSchema = z.object({
  FAL_EMULATOR_PORT: port.default(3100),
  FAL_EMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  FAL_EMULATOR_PUBLIC_URL: z.string().url().optional(),
  FAL_EMULATOR_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  FAL_EMULATOR_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(4),
  FAL_EMULATOR_MEDIA: z.enum(['render', 'reuse']).default('render'),
  FAL_EMULATOR_RETAIN: duration.default(60 * 60_000),
  FAL_EMULATOR_SSE_KEEPALIVE_MS: z.coerce.number().int().min(10).max(600_000).default(15_000),
  LOG_LEVEL: logLevel,
  LOG_PRETTY: bool.default(false),
});
export type EmulatorConfig = z.infer<typeof emulatorConfigSchema>;
