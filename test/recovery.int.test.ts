import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// Long-running jobs (the emulator takes 3 s per request): crash recovery, cancel while running, deadlines.
let stack: Stack;
const root = fileURLToPath(new URL('..', import.meta.url));

beforeAll(async () => {
  stack = await startStack({ worker: false, emulator: { delayMs: 3_000 } });
});
afterAll(async () => stack?.close());

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;

async function submit(prompt: string) {
  const res = await stack.http('POST', '/v1/jobs', { video_url: sample(), sound_effect_prompt: prompt });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const submitted = (id: string) =>
  waitFor(`${id} to be submitted`, async () => {
    const job = (await stack.http('GET', `/v1/jobs/${id}`)).body;
    return job.fal_request_id ? job : undefined;
  });

/** The emulator logs a canceled request as CANCELED once its aborted run has stopped, a moment later. */
const statusAtFal = (requestId: string) =>
  waitFor(`${requestId} to stop at fal`, async () => {
    const atFal = (await stack.emulatorRequests()).find((r) => r.request_id === requestId);
    return atFal?.status === 'IN_PROGRESS' || atFal?.status === 'IN_QUEUE' ? undefined : atFal?.status;
  }).catch(() => 'still running');

function spawnWorker(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe('crash recovery', () => {
  it('a worker killed with SIGKILL mid-job: another worker resumes the fal request, no second submit', async () => {
    const child = spawnWorker();
    try {
      const id = await submit('kill-9');
      const before = await submitted(id);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const worker = await stack.startWorker();
      try {
        const job = await stack.waitForJob(id, undefined, 40_000);
        expect(job.status).toBe('completed');
        expect(job.fal_request_id).toBe(before.fal_request_id);
        const submits = (await stack.emulatorRequests()).filter(
          (r) => r.input?.sound_effect_prompt === 'kill-9',
        );
        expect(submits).toHaveLength(1);
      } finally {
        await worker.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('SIGTERM hands a job waiting on fal back; the next worker finishes it without resubmitting', async () => {
    const child = spawnWorker();
    const id = await submit('sigterm');
    await submitted(id);
    const started = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    const worker = await stack.startWorker();
    try {
      const job = await stack.waitForJob(id, undefined, 30_000);
      expect(job.status).toBe('completed');
      expect(
        (await stack.emulatorRequests()).filter((r) => r.input?.sound_effect_prompt === 'sigterm'),
      ).toHaveLength(1);
    } finally {
      await worker.close();
    }
  });
});

describe('cancel and deadlines', () => {
  it('cancel of a running job cancels it at fal and ends it canceled', async () => {
    const worker = await stack.startWorker();
    try {
      const id = await submit('cancel-running');
      const job = await submitted(id);
      const res = await stack.http('POST', `/v1/jobs/${id}/cancel`);
      // 202 while the worker is still canceling at fal; 200 if it already ended the job before the answer.
      expect([200, 202]).toContain(res.status);
      if (res.status === 202) expect(res.body.cancel_requested).toBe(true);
      else expect(res.body.status).toBe('canceled');
      const final = await stack.waitForJob(id);
      expect(final).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
      expect(await statusAtFal(job.fal_request_id)).toBe('CANCELED');
    } finally {
      await worker.close();
    }
  });

  it('a fal request past the deadline is canceled and the job fails with timeout', async () => {
    const worker = await stack.startWorker({ FAL_DEADLINE: '1s' });
    try {
      const id = await submit('deadline');
      const final = await stack.waitForJob(id);
      expect(final).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
      expect(await statusAtFal(final.fal_request_id)).toBe('CANCELED');
    } finally {
      await worker.close();
    }
  });
});
