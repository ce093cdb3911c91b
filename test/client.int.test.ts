import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  createFoleyClient,
  FoleyApiError,
  type FoleyClient,
  foleyWebhookHandler,
  type Job,
  type WebhookEvent,
} from '@foley/client';
import { makeVideo } from '@foley/testkit/media';
import { serveFiles } from '@foley/testkit/static-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_A, API_KEY_B, type Stack, startStack } from './support/stack';
import { typeShapes } from './support/type-shapes';

// @foley/client against a whole stack running in this process (API, worker, emulator, S3, Redis).
let stack: Stack;
let files: Awaited<ReturnType<typeof serveFiles>>;
let clipPath: string;
let client: FoleyClient;
let receiver: Server;
let hookUrl: string;
const events: WebhookEvent[] = [];

beforeAll(async () => {
  stack = await startStack({ emulator: { delayMs: 50, concurrency: 4 } });
  clipPath = await makeVideo({ seconds: 3, width: 160, height: 90 });
  files = await serveFiles({ 'clip.mp4': clipPath, 'short.mp4': await makeVideo({ seconds: 2 }) });
  client = createFoleyClient({ apiUrl: stack.api.url, apiKey: API_KEY_A });
  const handler = foleyWebhookHandler({
    secret: stack.env.WEBHOOK_SECRET as string,
    onEvent: (event) => {
      events.push(event);
    },
  });
  receiver = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await files?.close();
  await stack?.close();
});

describe('types match /openapi.json', () => {
  it('every request type the SDK sends has the fields, optionality and enums the API documents', async () => {
    const doc = (await (await fetch(`${stack.api.url}/openapi.json`)).json()) as any;
    const generated = fileURLToPath(
      new URL('../packages/client/src/api-types.generated.ts', import.meta.url),
    );
    const shapes = typeShapes(generated, [
      'CreateJobBody',
      'CreateBatchBody',
      'BatchItem',
      'CreateUploadBody',
      'CreateBatchQuery',
      'ListJobsQuery',
    ]);
    const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    const query = (path: string, method: string) =>
      Object.fromEntries(
        doc.paths[path][method].parameters
          .filter((p: { in: string }) => p.in === 'query')
          .map((p: { name: string; required: boolean; schema: unknown }) => [p.name, p]),
      );
    const compare = (name: string, properties: Record<string, any>, required: string[]) => {
      const shape = shapes[name] as Record<string, { optional: boolean; type: string; literals?: string[] }>;
      expect(Object.keys(shape).sort(), name).toEqual(Object.keys(properties).sort());
      for (const [field, schema] of Object.entries(properties)) {
        const mine = shape[field];
        expect(mine?.optional, `${name}.${field} optional`).toBe(!required.includes(field));
        const values = schema.enum ?? schema.anyOf?.flatMap((s: { enum?: string[] }) => s.enum ?? []);
        if (values?.length) expect(mine?.literals, `${name}.${field} enum`).toEqual([...values].sort());
        else if (schema.type === 'string') expect(mine?.type, `${name}.${field}`).toBe('string');
        else if (schema.type === 'boolean') expect(mine?.type, `${name}.${field}`).toBe('boolean');
        else if (schema.type === 'integer' || schema.type === 'number')
          // A query number is coerced from its string, so its input type is `unknown` (`{}` once defined).
          expect(mine?.type, `${name}.${field}`).toMatch(/^(number|\{\})$/);
      }
    };
    const job = body('/v1/jobs');
    compare('CreateJobBody', job.properties, job.required ?? []);
    const batch = body('/v1/batches');
    compare('CreateBatchBody', batch.properties, batch.required ?? []);
    compare(
      'BatchItem',
      batch.properties.items.items.properties,
      batch.properties.items.items.required ?? [],
    );
    const upload = body('/v1/uploads');
    compare('CreateUploadBody', upload.properties, upload.required ?? []);
    const listQuery = query('/v1/jobs', 'get');
    compare(
      'ListJobsQuery',
      Object.fromEntries(Object.entries(listQuery).map(([k, p]) => [k, (p as { schema: unknown }).schema])),
      Object.entries(listQuery)
        .filter(([, p]) => (p as { required: boolean }).required)
        .map(([k]) => k),
    );
    const batchQuery = query('/v1/batches', 'post');
    compare(
      'CreateBatchQuery',
      Object.fromEntries(Object.entries(batchQuery).map(([k, p]) => [k, (p as { schema: unknown }).schema])),
      [],
    );
  }, 60_000);
});

describe('jobs', () => {
  it('creates a job, waits for it with updates, and a webhook arrives verified and typed', async () => {
    const updates: string[] = [];
    const created = await client.jobs.create({
      video_url: `${files.url}/clip.mp4`,
      sound_effect_prompt: 'rain on a tin roof',
      webhook_url: hookUrl,
      metadata: { order: 7 },
    });
    expect(created).toMatchObject({ object: 'job', metadata: { order: 7 } });
    // A free worker may have picked it up before the answer was written.
    expect(['queued', 'processing']).toContain(created.status);
    const done = await client.jobs.wait(created.id, {
      intervalMs: 100,
      timeoutMs: 30_000,
      onUpdate: (j) => updates.push(j.status),
    });
    expect(done.status).toBe('completed');
    expect(done.output?.video.content_type).toBe('video/mp4');
    expect(done.output?.audio.content_type).toBe('audio/mpeg');
    expect(updates.at(-1)).toBe('completed');
    const deadline = Date.now() + 15_000;
    while (!events.some((e) => e.data.id === created.id) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const event = events.find((e) => e.data.id === created.id);
    if (event?.type !== 'job.completed') throw new Error(`no job.completed event: ${JSON.stringify(event)}`);
    expect(event.id).toMatch(/^evt_/);
    // Narrowed by `type`: a job event's data is a Job.
    expect(event.data.output?.video.key).toBe(done.output?.video.key);
  }, 60_000);

  it('a repeated create with the same Idempotency-Key returns the same job; the server saw one', async () => {
    const input = { video_url: `${files.url}/clip.mp4`, asmr_mode: true };
    const a = await client.jobs.create(input, { idempotencyKey: 'sdk-int-1' });
    const b = await client.jobs.create(input, { idempotencyKey: 'sdk-int-1' });
    expect(b.id).toBe(a.id);
    const other = await client.jobs.create(input);
    expect(other.id).not.toBe(a.id);
    const error = await client.jobs
      .create({ ...input, asmr_mode: false }, { idempotencyKey: 'sdk-int-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FoleyApiError);
    expect(error).toMatchObject({ status: 422 });
    await client.jobs.wait(a.id, { intervalMs: 100, timeoutMs: 30_000 });
    await client.jobs.wait(other.id, { intervalMs: 100, timeoutMs: 30_000 });
  }, 60_000);

  it('lists every job of the key across pages, filtered by status', async () => {
    const ids: string[] = [];
    for await (const job of client.jobs.list({ limit: 1 })) ids.push(job.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ids).size).toBe(ids.length);
    for await (const job of client.jobs.list({ status: 'completed', limit: 2 }))
      expect(job.status).toBe('completed');
    const otherTenant = createFoleyClient({ apiUrl: stack.api.url, apiKey: API_KEY_B });
    const theirs: string[] = [];
    for await (const job of otherTenant.jobs.list()) theirs.push(job.id);
    expect(theirs.filter((id) => ids.includes(id))).toEqual([]);
  }, 60_000);

  it('errors are classes with status, code, details and requestId', async () => {
    const missing = await client.jobs.get('job_01m8bv1zgbtqs9wa1dh6btddy2').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FoleyApiError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect((missing as FoleyApiError).requestId).toMatch(/\S/);
    const invalid = await client.jobs.create({ video_url: 'ftp://x/v.mp4' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422, code: 'validation_error' });
    expect((invalid as FoleyApiError).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'video_url' })]),
    );
    const badKey = createFoleyClient({ apiUrl: stack.api.url, apiKey: 'wrong-key-123' });
    await expect(badKey.jobs.get('job_01m8bv1zgbtqs9wa1dh6btddy2')).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
  });

  it('cancels a queued job', async () => {
    const job = await client.jobs.create({ video_url: `${files.url}/clip.mp4` });
    const canceled = await client.jobs.cancel(job.id).catch((e: unknown) => e);
    // It may already have ended on a fast worker: then the API says so (409), which is the SDK's error too.
    if (canceled instanceof FoleyApiError) expect(canceled.status).toBe(409);
    else expect((canceled as Job).id).toBe(job.id);
    const final = await client.jobs.wait(job.id, { intervalMs: 100, timeoutMs: 30_000 });
    expect(['canceled', 'completed']).toContain(final.status);
  }, 60_000);
});

describe('batches and uploads', () => {
  it('uploads a local file, runs a batch of items with progress, and iterates its jobs', async () => {
    const upload = await client.uploads.put(clipPath);
    expect(upload.video_url).toMatch(/^http/);
    const created = await client.batches.create(
      [{ video_url: upload.video_url }, { video_url: `${files.url}/short.mp4` }, { video_url: 'nope' }],
      { defaults: { sound_effect_prompt: 'thunder' } },
    );
    expect(created).toMatchObject({ object: 'batch', total: 2, received: 3 });
    expect(created.rejected.map((r) => r.index)).toEqual([2]);
    const progress: number[] = [];
    const final = await client.batches.wait(created.id, {
      intervalMs: 100,
      timeoutMs: 60_000,
      onProgress: (b) => progress.push(b.percent),
    });
    expect(final).toMatchObject({ status: 'completed', counts: { completed: 1, failed: 1 } });
    expect(progress.at(-1)).toBe(100);
    const jobs: Job[] = [];
    for await (const job of client.batches.jobs(created.id, { limit: 1 })) jobs.push(job);
    expect(jobs.map((j) => j.batch_index).sort()).toEqual([0, 1]);
    expect(jobs.every((j) => j.input.sound_effect_prompt === 'thunder')).toBe(true);
  }, 90_000);

  it('creates a batch from a JSONL stream and from a CSV file, settings in the query', async () => {
    const lines = `{"video_url":"${files.url}/clip.mp4"}\n{"video_url":"${files.url}/clip.mp4"}\n`;
    const fromStream = await client.batches.create(
      { stream: Readable.from([lines]), format: 'jsonl' },
      { defaults: { asmr_mode: true }, metadata: { source: 'stream' } },
    );
    expect(fromStream).toMatchObject({
      total: 2,
      metadata: { source: 'stream' },
      defaults: { asmr_mode: true },
    });
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'foley-sdk-'));
    try {
      const csv = join(dir, 'list.csv');
      await writeFile(csv, `video_url,background_music_prompt\n${files.url}/clip.mp4,calm piano\n`);
      const fromFile = await client.batches.create({ path: csv }, { atomic: true });
      expect(fromFile.total).toBe(1);
      const done = await client.batches.wait(fromFile.id, { intervalMs: 100, timeoutMs: 60_000 });
      expect(done.counts.completed).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await client.batches.wait(fromStream.id, { intervalMs: 100, timeoutMs: 60_000 })).status).toBe(
      'completed',
    );
  }, 90_000);
});
