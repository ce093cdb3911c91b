import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * The intake baseline: Express 5 + zod + one `queue.add`, nothing else (no auth, no SSRF rules, no
 * idempotency, no index). What Foley's `POST /v1/jobs` is measured against.
 */
const body = z.strictObject({
  video_url: z.string().url(),
  sound_effect_prompt: z.string().max(200).optional(),
  background_music_prompt: z.string().max(200).optional(),
  asmr_mode: z.boolean().optional(),
});

export async function startBareIntake(opts: { redisUrl: string; prefix: string }) {
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue('dubbing', { connection: redis, prefix: opts.prefix });
  const app = express();
  app.use(express.json());
  app.post('/v1/jobs', async (req, res) => {
    const parsed = body.safeParse(req.body);
    if (!parsed.success) return void res.status(422).json({ error: parsed.error.issues });
    const id = `job_${randomUUID()}`;
    await queue.add('dub', { id, input: parsed.data }, { jobId: id, removeOnComplete: { age: 604_800 } });
    res.status(202).json({ id, status: 'queued' });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      server.closeAllConnections();
      await queue.close();
      redis.disconnect();
    },
  };
}
