import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from '@foley/testkit/listen';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack';

// Webhooks through the whole stack: fal's (emulated, signed) webhook wakes the job, and the customer's
// endpoint receives a Standard Webhooks-signed `job.completed` from the worker's own webhook queue.
let stack: Stack;
let receiver: Server;
let hookUrl: string;
const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  hookUrl = `${(await listenOnLoopback(receiver)).url}/hook`;
  // fal takes 1.5 s, so the worker's first status poll (right after submit) cannot see it done.
  stack = await startStack({ worker: false, emulator: { delayMs: 1_500 } });
  // Polls so slow that only fal's webhook can finish a job within the test's time.
  await stack.startWorker({
    FAL_WEBHOOK_BASE_URL: stack.api.url,
    FAL_POLL_FIRST: '30s',
    FAL_POLL_MAX: '60s',
  });
});
afterAll(async () => {
  await stack?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('webhooks end to end', () => {
  it('fal’s webhook wakes the job, and the customer gets a signed job.completed', async () => {
    const sample = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
    const started = Date.now();
    const created = await stack.http('POST', '/v1/jobs', { video_url: sample, webhook_url: hookUrl });
    expect(created.status).toBe(202);
    const id = created.body.id as string;

    const job = await stack.waitForJob(id, ['completed', 'failed', 'canceled'], 20_000);
    expect(job.status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(20_000); // a 30 s poll could not have finished it

    const delivery = await waitFor('the customer webhook', async () =>
      received.find((r) => JSON.parse(r.body).data?.id === id),
    );
    const event = new Webhook(stack.env.WEBHOOK_SECRET as string).verify(
      delivery.body,
      delivery.headers as Record<string, string>,
    ) as { type: string; data: { id: string; status: string; output: { video: { url: string } } } };
    expect(event.type).toBe('job.completed');
    expect(event.data).toMatchObject({ id, status: 'completed' });
    expect(event.data.output.video.url).toMatch(/^http/);

    const listed = await waitFor('the delivery to be recorded', async () => {
      const res = await stack.http('GET', `/v1/jobs/${id}/webhooks`);
      return res.body.data?.[0]?.status === 'delivered' ? res.body : undefined;
    });
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({
      id: delivery.headers['webhook-id'],
      type: 'job.completed',
      target_url: hookUrl,
      attempts: [expect.objectContaining({ status_code: 204, outcome: 'delivered' })],
    });
  });
});
