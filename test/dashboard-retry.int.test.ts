import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// Retrying a failed job from the ops dashboard must resume its saved fal request, never pay twice:
// real API (with Bull Board), real worker, the fal emulator counting submits.
const ADMIN = { user: 'ops', password: 'ops-password-retry' };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: { ADMIN_USER: ADMIN.user, ADMIN_PASSWORD: ADMIN.password, JOB_ATTEMPTS: '1' },
  });
});
afterAll(async () => {
  await stack?.close();
});

const emulator = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.emulator.url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

it('retries a failed job that has a fal request without submitting it again', async () => {
  // fal fails every result read until the fault is cleared: the only attempt fails after the submit.
  expect((await emulator('POST', '/faults', { op: 'result', status: 500, times: 1000 })).status).toBe(201);
  const created = await stack.http('POST', '/v1/jobs', {
    video_url: `${stack.emulator.url}/_emulator/samples/sample.mp4`,
    sound_effect_prompt: 'door creak',
  });
  expect(created.status).toBe(202);
  const failed = await stack.waitForJob(created.body.id, ['failed', 'completed'], 60_000);
  expect(failed.status).toBe('failed');
  expect(failed.fal_request_id).toEqual(expect.any(String));
  await emulator('DELETE', '/faults');

  const basic = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
  const retry = await fetch(`${stack.api.url}/admin/queues/api/queues/dubbing/${created.body.id}/retry`, {
    method: 'PUT',
    headers: { authorization: basic },
  });
  expect(retry.status).toBe(204);

  const done = await stack.waitForJob(created.body.id, ['completed', 'failed'], 60_000);
  expect(done.status).toBe('completed');
  expect(done.fal_request_id).toBe(failed.fal_request_id);
  const submits = await stack.emulatorRequests();
  expect(submits.map((s) => s.request_id)).toEqual([failed.fal_request_id]);
});
