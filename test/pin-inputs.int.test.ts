import { QUEUES } from '@foley/shared/queues/catalog';
import { type ServedFile, startVideoServer } from '@foley/testkit/video-server';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// The customer's video changes after preflight checked it, while the job waits for a fal slot: with
// PIN_INPUTS fal gets Foley's checked copy; without, fal reads whatever the customer's URL serves then.
let stack: Stack;
let customer: Awaited<ReturnType<typeof startVideoServer>>;
const files: Record<string, ServedFile> = {};
let video: Buffer;
let queue: Queue;

beforeAll(async () => {
  stack = await startStack({ worker: false, emulator: { delayMs: 300 } });
  const sample = await fetch(`${stack.emulator.url}/_emulator/samples/sample.mp4`);
  video = Buffer.from(await sample.arrayBuffer());
  customer = await startVideoServer(files);
  queue = new Queue(QUEUES.dubbing.name, { connection: stack.redis, prefix: stack.prefix });
});
afterAll(async () => {
  await queue?.close();
  await customer?.close();
  await stack?.close();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * fal runs the job's request only after a few seconds in its queue (the emulator's `requeue` fault:
 * back to IN_QUEUE a few times, as fal retrying on another runner), so the customer's file can change
 * after preflight (and the copy, when pinning) but before fal downloads its input.
 */
async function runWithChangingVideo(pin: boolean, name: string) {
  files[name] = { segments: [video], contentType: 'video/mp4' };
  const worker = await stack.startWorker({ PIN_INPUTS: String(pin) });
  try {
    await stack.emulatorFault({ op: 'run', requeue: 3 });
    const created = await stack.http('POST', '/v1/jobs', {
      video_url: `${customer.base}/${name}`,
      sound_effect_prompt: name,
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    // Submitted: preflight (and the copy) are over; fal has not started on it yet.
    await waitFor('the job to be submitted', async () => {
      const data = (await queue.getJob(id))?.data;
      return data?.fal_request_id ? data : undefined;
    });
    const seenBefore = customer.requests.length;
    files[name] = {
      segments: [Buffer.from('<!DOCTYPE html><html>file moved</html>')],
      contentType: 'video/mp4',
    };
    const job = await stack.waitForJob(id, undefined, 30_000);
    const atFal = (await stack.emulatorRequests()).find((r) => r.input?.sound_effect_prompt === name);
    return { id, job, atFal, requestsAfterChange: customer.requests.length - seenBefore };
  } finally {
    await worker.close();
  }
}

describe('PIN_INPUTS', () => {
  it('on: fal gets a presigned URL of Foley’s checked copy and the job completes', async () => {
    const { id, job, atFal, requestsAfterChange } = await runWithChangingVideo(true, 'pinned.mp4');
    expect(job.status).toBe('completed');
    expect(atFal?.input.video_url).toContain(`/${stack.bucket}/jobs/${id}/input.mp4`);
    expect(atFal?.input.video_url).toMatch(/X-Amz-Signature=/);
    expect(requestsAfterChange).toBe(0); // nobody read the customer's URL again
  });

  it('off: fal reads the customer’s URL, which now serves something else, and the job fails', async () => {
    const { job, atFal } = await runWithChangingVideo(false, 'unpinned.mp4');
    expect(atFal?.input.video_url).toBe(`${customer.base}/unpinned.mp4`);
    expect(job.status).toBe('failed');
  });
});
