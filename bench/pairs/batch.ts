import { newId } from '@foley/shared/ids';
import { withModelDefaults } from '@foley/shared/jobs/model';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import { Queue } from 'bullmq';
import { API_KEY, type BenchContext, benchPrefix } from '../lib/context';
import type { RoleProcess } from '../lib/processes';
import { fmt, type PairResult } from '../lib/rows';
import { median, spread } from '../lib/stats';

const url = (i: number) => `https://cdn.example.com/batch/${i}.mp4`;

async function foleyBatch(api: RoleProcess, items: number): Promise<number> {
  const body = Array.from({ length: items }, (_, i) => JSON.stringify({ video_url: url(i) })).join('\n');
  const started = performance.now();
  const res = await fetch(`${api.url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  const json = (await res.json()) as { total?: number };
  const ms = performance.now() - started;
  if (res.status !== 202 || json.total !== items)
    throw new Error(`batch: HTTP ${res.status} ${JSON.stringify(json)}`);
  return ms;
}

/** The baseline: the same payloads Foley stores, in one `addBulk`. */
async function bareAddBulk(ctx: BenchContext, items: number): Promise<number> {
  const queue = new Queue(QUEUES.dubbing.name, {
    connection: { url: ctx.redisUrl },
    prefix: benchPrefix('bulk'),
  });
  await queue.waitUntilReady();
  const started = performance.now();
  const jobs = Array.from({ length: items }, (_, i) => {
    const id = newId('job');
    const data = {
      id,
      tenant: 'tenant-bench',
      input: withModelDefaults({ video_url: url(i) }),
      created_at: new Date().toISOString(),
      batch_id: 'bat_bench',
      batch_index: i,
    };
    return { name: QUEUES.dubbing.jobs.dub, data, opts: dubJobOptions(id, 6) };
  });
  await queue.addBulk(jobs);
  const ms = performance.now() - started;
  await queue.close();
  return ms;
}

/** `POST /v1/batches` (JSONL) vs a bare `addBulk` of the same payloads, alternating. */
export async function batchPair(ctx: BenchContext, api: RoleProcess): Promise<PairResult> {
  const items = ctx.smoke ? 200 : 10_000;
  const rounds = 3;
  const f: number[] = [];
  const b: number[] = [];
  await foleyBatch(api, Math.min(items, 500)); // warm-up
  await bareAddBulk(ctx, Math.min(items, 500));
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      b.push(await bareAddBulk(ctx, items));
      f.push(await foleyBatch(api, items));
    } else {
      f.push(await foleyBatch(api, items));
      b.push(await bareAddBulk(ctx, items));
    }
  }
  const ratios = f.map((x, i) => x / (b[i] as number));
  return {
    name: 'batch',
    rows: [
      {
        path: `batch intake, ${fmt(items)} JSONL items (time)`,
        foley: `${fmt(median(f))} ms`,
        baseline: `${fmt(median(b))} ms`,
        ratio: median(ratios),
        ratioSpread: spread(ratios),
        goal: '≤ 1.5×',
        met: median(ratios) <= 1.5,
      },
    ],
    details: [
      `Batch: ${rounds} alternating pairs; Foley's time is the whole HTTP request (upload, parse, validate, SSRF rules, index, enqueue in chunks); the baseline builds the same job payloads and sends one \`addBulk\`.`,
    ],
    facts: { batchItemsPerSecond: (items * 1000) / median(f) },
  };
}
