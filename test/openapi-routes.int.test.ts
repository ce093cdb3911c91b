import { API_ROUTES } from '@foley/api/http/openapi-routes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// The documented routes against the API as `startApi` really mounts it: each must reach a handler
// (anything but the catch-all "no route for …" 404), and the ops endpoints answer for real.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

const sample: Record<string, string> = { id: 'job_0000000000000000', event_id: 'evt_0000000000000000' };

it.each(API_ROUTES.map((r) => [r.method.toUpperCase(), r.path, r] as const))(
  '%s %s is mounted',
  async (method, path, route) => {
    const concrete = path
      .replace('/v1/batches/{id}', '/v1/batches/bat_0000000000000000')
      .replace(/\{(\w+)\}/g, (_m, name: string) => sample[name] ?? 'x');
    const res = await stack.http(method, concrete, method === 'POST' ? {} : undefined, {
      key: route.auth === 'bearer' ? undefined : null,
    });
    const message: string = res.body?.error?.message ?? '';
    expect(message.startsWith('no route for'), `${method} ${concrete} → ${res.status} ${message}`).toBe(
      false,
    );
    expect(res.status).not.toBe(405);
    // A public route that is missing would fall through to the API-key check of /v1.
    if (route.auth !== 'bearer') expect(res.body?.error?.code).not.toBe('unauthorized');
  },
);

it('serves the spec, the docs page and metrics from the running API', async () => {
  const spec = await stack.http('GET', '/openapi.json', undefined, { key: null });
  expect(spec.status).toBe(200);
  expect(spec.body.openapi).toBe('3.1.0');
  const docs = await fetch(`${stack.api.url}/docs`);
  expect(docs.headers.get('content-type')).toMatch(/text\/html/);
  expect(await docs.text()).toContain('/v1/batches/{id}/cancel');

  await stack.http('POST', '/v1/jobs', { video_url: 'http://127.0.0.1:9/a.mp4' });
  const metrics = await fetch(`${stack.api.url}/metrics`);
  const text = await metrics.text();
  // A new job waits parked in `delayed` until the fal dispatcher gives it a slot (ARCHITECTURE.md).
  expect(text).toMatch(/^foley_queue_jobs\{queue="dubbing",state="delayed",service="api"\} 1$/m);
  expect(text).toMatch(/^foley_queue_jobs\{queue="webhooks",state="waiting",service="api"\} 0$/m);
  expect(text).toContain('foley_process_cpu_seconds_total');
});
