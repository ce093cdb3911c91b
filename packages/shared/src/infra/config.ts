import { z } from 'zod';
import { isWebhookSecret } from '../webhooks/signature';

/** Raised when the environment does not satisfy a process's config schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with a process's schema, once, at start-up. Every app calls this in its composition
 * root; nothing else reads `process.env`.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings mean "unset" for every variable: `FOO= pnpm dev` should act like no FOO at all.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = cleaned[String(issue.path[0])];
      const shown = value === undefined ? 'unset' : `got ${JSON.stringify(redactValue(name, value))}`;
      return `${name}: ${issue.message} (${shown})`;
    }),
  );
}

function redactValue(name: string, value: string): string {
  if (/KEY|SECRET|PASSWORD|TOKEN/i.test(name)) return '[redacted]';
  // A URL's user info is a credential (redis://user:password@host), whatever the variable is called.
  return value.replace(/(\/\/)[^/?#\s]*@/, '$1[redacted]@');
}

/** Comma-separated list → trimmed, non-empty items. */
export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));

export const port = z.coerce.number().int().min(0).max(65535);

/** Durations like `500ms`, `5s`, `5m`, `2h`, `1d` (or bare milliseconds) → milliseconds. */
export const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 500ms, 30s, 5m, 2h or 1d' });
    return z.NEVER;
  }
  return ms;
});

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!);
}

/** Comma-separated durations (`5s,5m,30m`) → milliseconds each; at least one. */
export const durationList = z.string().transform((s, ctx) => {
  const items = s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const values = items.map(parseDuration);
  const bad = items.filter((_, i) => values[i] === undefined);
  if (items.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: 'must be comma-separated durations like 100ms,5s,5m,2h' });
    return z.NEVER;
  }
  return values as number[];
});

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Shared fragments; each process composes its own schema from these (Redis: `redis-config.ts`). */
export const s3Env = {
  S3_BUCKET: z.string().min(3),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.default(false),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  /** How long presigned output URLs stay valid. */
  S3_PRESIGN_TTL: duration.default(3_600_000),
};

export const falEnv = {
  FAL_KEY: z.string().min(1, 'is required (your fal.ai API key; any value for the emulator)'),
  /** When set, every fal request to https://HOST/PATH goes to FAL_BASE_URL/HOST/PATH (the emulator). */
  FAL_BASE_URL: z.string().url().optional(),
};

/** Webhook retries after about these delays, then the event is marked failed (README.md, Webhooks). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

/** Outbound webhooks (API: attempts of the events it emits; worker: signing and delivery). */
export const webhookEnv = {
  /** `whsec_…` secrets, comma-separated; every one signs each delivery (rotation: add new, drop old later). */
  WEBHOOK_SECRET: csv
    .pipe(z.array(z.string().refine(isWebhookSecret, 'each must be whsec_ followed by base64 of ≥ 16 bytes')))
    .pipe(z.array(z.string()).min(1, 'must list at least one whsec_ secret'))
    .optional(),
  WEBHOOK_RETRY_SCHEDULE: durationList
    .pipe(z.array(z.number()).max(30, 'at most 30 retries'))
    .default(scheduleOf(DEFAULT_WEBHOOK_RETRY_SCHEDULE)),
  /** No answer within this long counts as a failed attempt. */
  WEBHOOK_TIMEOUT: duration.default(15_000),
};

function scheduleOf(text: string): number[] {
  return text.split(',').map((d) => parseDuration(d) as number);
}
