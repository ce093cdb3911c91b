import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// A submit whose answer is lost after fal accepted it (the emulator's `drop_after_accept`: the request
// is created, the connection dropped before its answer) is what a worker killed mid-submit leaves: a
// job with a submit claim and no request id, and a request at fal that will be billed.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false, emulator: { delayMs: 300 } });
});
afterAll(async () => stack?.close());

const sample = () => `${stack.emulator.url}/_emulator/samples/sample.mp4`;

const fault = (spec: Record<string, unknown>) => stack.emulatorFault(spec);

async function submitJob(prompt: string) {
  const res = await stack.http('POST', '/v1/jobs', { video_url: sample(), sound_effect_prompt: prompt });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const submitsAtFal = async (prompt: string) =>
  (await stack.emulatorRequests()).filter((r) => r.input?.sound_effect_prompt === prompt);

async function withWorker<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const worker = await stack.startWorker(env);
  try {
    return await run();
  } finally {
    await worker.close();
  }
}

describe('a submit whose answer was lost after fal accepted it', () => {
  it('with fal callbacks: fal’s signed callback names the request and the job completes from it, one submit', async () => {
    await withWorker({ FAL_WEBHOOK_BASE_URL: stack.api.url }, async () => {
      await fault({ op: 'submit', drop_after_accept: true });
      const id = await submitJob('lost-answer-callback');
      const job = await stack.waitForJob(id, undefined, 30_000);
      const atFal = await submitsAtFal('lost-answer-callback');
      expect(job.status).toBe('completed');
      expect(atFal).toHaveLength(1);
      expect(job.fal_request_id).toBe(atFal[0]?.request_id);
      expect(job.output.video.url).toMatch(/^http/);
      // The callback URL names the job and the submit (its nonce).
      expect(atFal[0]?.webhook_url).toMatch(
        new RegExp(`/v1/fal/webhook\\?job_id=${id}&submit=[A-Za-z0-9_-]{16,64}$`),
      );
    });
  });

  it('without fal callbacks: nothing can name the request, so the job fails submit_outcome_unknown', async () => {
    await withWorker({}, async () => {
      await fault({ op: 'submit', drop_after_accept: true });
      const id = await submitJob('lost-answer-no-callback');
      const job = await stack.waitForJob(id, undefined, 30_000);
      expect(job).toMatchObject({ status: 'failed', error: { code: 'submit_outcome_unknown' } });
      expect(await submitsAtFal('lost-answer-no-callback')).toHaveLength(1);
    });
  });

  it('opted in (RESUBMIT_UNKNOWN_SUBMITS): no callback within the bound, so it submits again; the late callback changes nothing', async () => {
    const env = {
      FAL_WEBHOOK_BASE_URL: stack.api.url,
      UNKNOWN_SUBMIT_WAIT: '1s',
      RESUBMIT_UNKNOWN_SUBMITS: 'true',
    };
    await withWorker(env, async () => {
      await fault({ op: 'submit', drop_after_accept: true });
      // The lost request runs 4 s, so its callback comes after the 1 s bound.
      await fault({ op: 'run', delay_ms: 4_000 });
      const id = await submitJob('lost-answer-resubmit');
      const job = await stack.waitForJob(id, undefined, 30_000);
      expect(job.status).toBe('completed');
      const atFal = await submitsAtFal('lost-answer-resubmit');
      expect(atFal).toHaveLength(2); // the risk the operator accepted: both are billed
      expect(job.fal_request_id).toBe(atFal[1]?.request_id);

      // The first request's callback arrives late and is ignored: the job keeps the second request.
      for (let i = 0; i < 100; i++) {
        const first = (await submitsAtFal('lost-answer-resubmit'))[0];
        if (first?.status === 'COMPLETED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      const after = (await stack.http('GET', `/v1/jobs/${id}`)).body;
      expect(after).toMatchObject({ status: 'completed', fal_request_id: atFal[1]?.request_id });
    });
  });
});
