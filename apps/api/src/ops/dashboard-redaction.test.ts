import { describe, expect, it } from 'vitest';
import {
  dubJobName,
  isSensitiveKey,
  redactDeep,
  redactUrlsInText,
  webhookJobName,
} from './dashboard-redaction';

describe('redactUrlsInText', () => {
  it('drops query strings and userinfo but keeps scheme, host and path', () => {
    expect(redactUrlsInText('https://b.s3.amazonaws.com/k/v.mp4?X-Amz-Signature=abc&X-Amz-Expires=60')).toBe(
      'https://b.s3.amazonaws.com/k/v.mp4?[redacted]',
    );
    expect(redactUrlsInText('http://user:pass@host:8080/p')).toBe('http://host:8080/p');
    expect(redactUrlsInText('https://plain.example/path')).toBe('https://plain.example/path');
  });

  it('finds URLs inside messages and JSON text', () => {
    expect(redactUrlsInText('fetch "https://a.example/x?sig=1" failed; retry http://b.example/?t=2.')).toBe(
      'fetch "https://a.example/x?[redacted]" failed; retry http://b.example/?[redacted]',
    );
  });
});

describe('redactUrlsInText: fragments and secrets in paths', () => {
  it('drops fragments, which carry tokens in OAuth-style callbacks', () => {
    expect(redactUrlsInText('https://app.example/cb#access_token=abc&x=1')).toBe(
      'https://app.example/cb#[redacted]',
    );
    expect(redactUrlsInText('https://a.example/p?q=1#frag')).toBe(
      'https://a.example/p?[redacted]#[redacted]',
    );
  });

  it('blanks credential-looking path segments and keeps ordinary ones and Foley ids', () => {
    expect(
      redactUrlsInText('https://hooks.slack.com/services/T0123ABCD/B0123ABCD/Xy7abcdEFGh1234ijklMNOp'),
    ).toBe('https://hooks.slack.com/services/T0123ABCD/B0123ABCD/[redacted]');
    expect(redactUrlsInText('https://v.example/videos/2024-06-01-car-race-final.mp4')).toBe(
      'https://v.example/videos/2024-06-01-car-race-final.mp4',
    );
    expect(redactUrlsInText('https://s3.example/b/jobs/job_01m8bv1zgbtqs9wa1dh6btddy2/video.mp4')).toBe(
      'https://s3.example/b/jobs/job_01m8bv1zgbtqs9wa1dh6btddy2/video.mp4',
    );
  });
});

describe('isSensitiveKey', () => {
  it('names the keys a secret hides under, in any casing', () => {
    for (const key of [
      'pwd',
      'auth',
      'Auth',
      'session_key',
      'sessionKey',
      'private_key',
      'privateKey',
      'bearer',
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    for (const key of ['x-api-key', 'clientSecret', 'access_token', 'db_password', 'jwt']) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
  });

  it('leaves ordinary keys alone', () => {
    for (const key of ['author', 'authority_name', 'keyboard', 'session_count_note', 'title', 'note']) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });
});

describe('redactDeep', () => {
  it('scrubs nested URLs, blanks secret-looking keys and keeps everything else', () => {
    const out = redactDeep({
      input: { video_url: 'https://v.example/a.mp4?sig=s3cr3t', asmr_mode: true },
      webhook_url: 'https://hooks.example/h?token=t0k3n',
      metadata: {
        apiKey: 'k',
        API_KEY: 'k2',
        client_secret: { nested: 'x' },
        password: 'p',
        note: 'hi',
        n: 1,
      },
      list: ['https://x.example/?a=1', 2, null],
    });
    expect(out).toEqual({
      input: { video_url: 'https://v.example/a.mp4?[redacted]', asmr_mode: true },
      webhook_url: 'https://hooks.example/h?[redacted]',
      metadata: {
        apiKey: '[redacted]',
        API_KEY: '[redacted]',
        client_secret: '[redacted]',
        password: '[redacted]',
        note: 'hi',
        n: 1,
      },
      list: ['https://x.example/?[redacted]', 2, null],
    });
  });

  it('redacts JSON carried in strings (webhook bodies) and keeps them strings', () => {
    const body = JSON.stringify({ data: { output: { video: { url: 'https://s3/v?X-Amz-Signature=zz' } } } });
    const out = redactDeep({ body }) as { body: string };
    expect(typeof out.body).toBe('string');
    expect(JSON.parse(out.body)).toEqual({ data: { output: { video: { url: 'https://s3/v?[redacted]' } } } });
  });

  it('does not modify its input', () => {
    const input = { url: 'https://a/?b=c' };
    redactDeep(input);
    expect(input.url).toBe('https://a/?b=c');
  });

  it('bounds its depth', () => {
    let deep: Record<string, unknown> = { url: 'https://a/?s=1' };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    expect(JSON.stringify(redactDeep(deep))).not.toContain('s=1');
  });
});

describe('job names', () => {
  it('describes a dubbing job by id, tenant, batch and fal request', () => {
    expect(
      dubJobName({
        id: 'job_1',
        name: 'dub',
        data: { id: 'job_1', tenant: 'acme', batch_id: 'bat_2', fal_request_id: 'req-3' },
      }),
    ).toBe('dub job_1 (tenant acme, batch bat_2, fal req-3)');
    expect(dubJobName({ id: 'job_1', data: { tenant: 'acme' } })).toBe('dub job_1 (tenant acme)');
    expect(dubJobName({ id: 'job_1', data: null })).toBe('dub job_1');
  });

  it('describes a webhook delivery by event and resource', () => {
    expect(
      webhookJobName({
        id: 'evt_1',
        name: 'deliver',
        data: {
          event_id: 'evt_1',
          type: 'batch.completed',
          resource: { kind: 'batch', id: 'bat_9', tenant: 't' },
        },
      }),
    ).toBe('batch.completed evt_1 → batch bat_9 (tenant t)');
    expect(webhookJobName({ id: 'evt_2', name: 'deliver', data: {} })).toBe('deliver evt_2');
  });
});
