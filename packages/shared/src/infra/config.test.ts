import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, csv, duration, loadConfig, parseDuration } from './config';
import { redisEnv } from './redis-config';

describe('loadConfig', () => {
  const schema = z.object({
    ...redisEnv,
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    API_SECRET_KEY: z.string().min(16),
    LIST: csv.default([]),
    WAIT: duration.default(1000),
  });

  it('applies defaults and treats empty strings as unset', () => {
    const cfg = loadConfig(schema, { API_SECRET_KEY: 'x'.repeat(16), PORT: '', LIST: 'a, b,,c', WAIT: '2m' });
    expect(cfg).toMatchObject({ QUEUE_PREFIX: 'foley', PORT: 3000 });
    expect(cfg.REDIS_URL).toBeUndefined();
    expect(cfg.LIST).toEqual(['a', 'b', 'c']);
    expect(cfg.WAIT).toBe(120_000);
  });

  it('names every bad variable, and never prints a secret', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '99999', API_SECRET_KEY: 'short-secret', REDIS_URL: 'nope', WAIT: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT: .*got "99999"/);
    expect(message).toMatch(/REDIS_URL: /);
    expect(message).toMatch(/WAIT: must be a duration/);
    expect(message).toMatch(/API_SECRET_KEY: .*\[redacted\]/);
    expect(message).not.toContain('short-secret');
  });

  it('blanks the password of a URL it echoes (a bad REDIS_URL often carries one)', () => {
    const env = { API_SECRET_KEY: 'x'.repeat(16), REDIS_URL: 'rediss://default:hunter2-pw@redis host:6380' };
    const message = (() => {
      try {
        loadConfig(schema, env);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    expect(message).toContain('REDIS_URL: ');
    expect(message).toContain('got "rediss://[redacted]@redis host:6380"');
    expect(message).not.toContain('hunter2-pw');
  });

  it('says when a required variable is missing', () => {
    expect(() => loadConfig(schema, {})).toThrow(/API_SECRET_KEY: .*\(unset\)/);
  });
});

describe('parseDuration', () => {
  it('reads units and bare milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
  });
});
