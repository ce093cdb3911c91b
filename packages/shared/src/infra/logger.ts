import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'api_key',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'falKey',
  'url',
  '*.url',
];

export function createLogger(opts: { name: string; level?: string; pretty?: boolean }): Logger {
  const options: LoggerOptions = {
    name: opts.name,
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: redactUrl },
    base: { service: opts.name },
  };
  if (opts.pretty) {
    options.transport = {
      target: 'pino-pretty',
      options: { colorize: true, ignore: 'pid,hostname,service' },
    };
  }
  return pino(options);
}

/** URLs keep scheme, host and path (useful when debugging) but lose query strings, which carry signatures. */
function redactUrl(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1];
  if (last === 'url' && typeof value === 'string') return stripQuery(value);
  return '[redacted]';
}

export function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
