import { canonicalJson, sha256Hex } from '@foley/api/jobs/canonical-json';
import { newId } from '@foley/shared/ids';
import { foleyKeys } from '@foley/shared/infra/keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_A, type Stack, startStack } from './support/stack';

// Odd input against the running API (no worker): each is a 4xx naming the field and the rule, never a
// 500, and nothing is stored with different bytes than the client sent.
let stack: Stack;
const VIDEO = 'https://videos.example.com/clip.mp4';

beforeAll(async () => {
  stack = await startStack({ worker: false, env: { URL_ALLOWLIST: '' } });
});
afterAll(async () => stack?.close());

async function send(path: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${stack.api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY_A}`, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: Record<string, any>; id?: string } };
}

const deeplyNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('metadata', () => {
  it('refuses nesting too deep to serialize with 422, with or without an Idempotency-Key', async () => {
    const raw = `{"video_url":"${VIDEO}","metadata":{"a":${deeplyNested(20_000)}}}`;
    const variants: Array<Record<string, string>> = [{}, { 'idempotency-key': `deep-${Date.now()}` }];
    for (const headers of variants) {
      const res = await send('/v1/jobs', raw, { 'content-type': 'application/json', ...headers });
      expect(res.status).toBe(422);
      expect(res.body.error?.details).toContainEqual(
        expect.objectContaining({ field: 'metadata.a', rule: 'too_deep' }),
      );
    }
  });

  it('refuses a __proto__ key instead of silently dropping it', async () => {
    const raw = `{"video_url":"${VIDEO}","metadata":{"order":1,"__proto__":{"admin":true}}}`;
    const res = await send('/v1/jobs', raw, { 'content-type': 'application/json' });
    expect(res.status).toBe(422);
    expect(res.body.error?.details).toContainEqual(
      expect.objectContaining({ field: 'metadata.__proto__', rule: 'reserved_key' }),
    );
  });

  it('applies the same rules to a batch item’s metadata', async () => {
    const line = `{"video_url":"${VIDEO}","metadata":{"__proto__":{"x":1}}}\n`;
    const res = await send('/v1/batches', line, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(422);
    expect(res.body.error?.details?.[0]?.errors).toContainEqual(
      expect.objectContaining({ field: 'metadata.__proto__', rule: 'reserved_key' }),
    );
  });
});

describe('bodies that are not UTF-8', () => {
  const invalid = Buffer.concat([
    Buffer.from('{"video_url":"https://videos.example.com/'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('.mp4"}'),
  ]);

  it('answers 400 invalid_encoding for JSON routes instead of storing replacement characters', async () => {
    const res = await send('/v1/jobs', invalid, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_encoding');
    const batch = await send(
      '/v1/batches',
      Buffer.concat([Buffer.from('{"items":['), invalid, Buffer.from(']}')]),
      {
        'content-type': 'application/json',
      },
    );
    expect(batch.status).toBe(400);
    expect(batch.body.error?.code).toBe('invalid_encoding');
  });

  it('answers 400 for JSONL and CSV batches', async () => {
    const jsonl = await send('/v1/batches', Buffer.concat([invalid, Buffer.from('\n')]), {
      'content-type': 'application/x-ndjson',
    });
    expect(jsonl.status).toBe(400);
    expect(jsonl.body.error?.code).toBe('invalid_encoding');
    const csv = await send(
      '/v1/batches',
      Buffer.concat([
        Buffer.from('video_url\nhttps://videos.example.com/'),
        Buffer.from([0xc3]),
        Buffer.from('.mp4\n'),
      ]),
      { 'content-type': 'text/csv' },
    );
    expect(csv.status).toBe(400);
    expect(csv.body.error?.code).toBe('invalid_encoding');
  });

  it('answers 415 for JSONL and CSV declared in another charset or compressed', async () => {
    const latin1 = await send('/v1/batches', `video_url\n${VIDEO}\n`, {
      'content-type': 'text/csv; charset=latin1',
    });
    expect(latin1.status).toBe(415);
    expect(latin1.body.error).toMatchObject({ code: 'unsupported_encoding' });
    expect(latin1.body.error?.message).toContain('latin1');
    const gzip = await send('/v1/batches', `{"video_url":"${VIDEO}"}\n`, {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(gzip.status).toBe(415);
    expect(gzip.body.error?.message).toContain('gzip');
  });
});

describe('GET /v1/jobs query', () => {
  it('refuses an empty batch_id and a cursor that no page handed out', async () => {
    const empty = await stack.http('GET', '/v1/jobs?batch_id=');
    expect(empty.status).toBe(422);
    expect(empty.body.error.details[0]).toMatchObject({ field: 'query.batch_id' });
    const cursor = await stack.http('GET', '/v1/jobs?cursor=zzz');
    expect(cursor.status).toBe(422);
    expect(cursor.body.error.details[0]).toMatchObject({ field: 'query.cursor' });
  });
});

describe('Idempotency-Key of a request that died between claiming the key and creating its job', () => {
  // What such a request leaves behind: the claim, naming a job that was never added.
  async function orphanClaim(key: string, body: Record<string, unknown>, ageMs: number) {
    const record = { hash: sha256Hex(canonicalJson(body)), id: newId('job'), at: Date.now() - ageMs };
    await stack.redis.set(foleyKeys(stack.prefix).idempotency('tenant-a', key), JSON.stringify(record));
    return record.id;
  }

  it('answers 409 while the claim is young (the first request may still be creating the job)', async () => {
    const body = { video_url: VIDEO, sound_effect_prompt: 'young claim' };
    await orphanClaim('orphan-young', body, 1_000);
    const res = await stack.http('POST', '/v1/jobs', body, {
      headers: { 'idempotency-key': 'orphan-young' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('request_in_progress');
  });

  it('creates the job once the claim is old, instead of 409 until the key expires', async () => {
    const body = { video_url: VIDEO, sound_effect_prompt: 'old claim' };
    const orphan = await orphanClaim('orphan-old', body, 10 * 60_000);
    const headers = { 'idempotency-key': 'orphan-old' };
    const first = await stack.http('POST', '/v1/jobs', body, { headers });
    expect(first.status).toBe(202);
    expect(first.body.id).not.toBe(orphan);
    const again = await stack.http('POST', '/v1/jobs', body, { headers });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('does the same for a batch', async () => {
    const text = `{"video_url":"${VIDEO}"}\n`;
    const fingerprint = { body_sha256: sha256Hex(text), format: 'jsonl', query: {} };
    const record = {
      hash: sha256Hex(canonicalJson(fingerprint)),
      id: newId('bat'),
      at: Date.now() - 600_000,
    };
    await stack.redis.set(
      foleyKeys(stack.prefix).idempotency('tenant-a', 'orphan-batch'),
      JSON.stringify(record),
    );
    const headers = { 'content-type': 'application/x-ndjson', 'idempotency-key': 'orphan-batch' };
    const res = await send('/v1/batches', text, headers);
    expect(res.status).toBe(202);
    expect(res.body.id).toMatch(/^bat_/);
    expect(res.body.id).not.toBe(record.id);
  });

  it('lets only one of several concurrent retries take the old claim over', async () => {
    const body = { video_url: VIDEO, sound_effect_prompt: 'raced claim' };
    await orphanClaim('orphan-raced', body, 10 * 60_000);
    const headers = { 'idempotency-key': 'orphan-raced' };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => stack.http('POST', '/v1/jobs', body, { headers })),
    );
    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(1);
    for (const a of answers) {
      expect([200, 202, 409]).toContain(a.status);
      if (a.status === 200) expect(a.body.id).toBe(created[0]?.body.id);
    }
  });
});
