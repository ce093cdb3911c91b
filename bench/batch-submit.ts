/**
 * Benchmark: accepting a 10,000-item batch (POST /v1/batches → validated, indexed, enqueued with
 * addBulk) as JSON, JSONL and CSV, against real Redis and a local S3 server, with no worker running.
 * Prints the time per format, items/s, the baseline of submitting the same items as single jobs (8 in
 * flight), and the latency of GET /v1/batches/:id on the big batch.
 *
 *   pnpm exec tsx scripts/bench-batch-submit.ts [--items 10000] [--rounds 3]
 */
// Relative imports: the workspace root has no dependency on the apps' packages.
import { startStack } from '../test/support/stack';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const items = arg('items', 10_000);
const rounds = arg('rounds', 3);
const url = (i: number) => `http://127.0.0.1:9/videos/${i}.mp4`;
const bodies = {
  json: {
    type: 'application/json',
    body: JSON.stringify({ items: range().map((i) => ({ video_url: url(i) })) }),
  },
  jsonl: {
    type: 'application/x-ndjson',
    body: range()
      .map((i) => JSON.stringify({ video_url: url(i) }))
      .join('\n'),
  },
  csv: {
    type: 'text/csv',
    body: `video_url,asmr_mode\n${range()
      .map((i) => `${url(i)},0`)
      .join('\n')}\n`,
  },
};

function range() {
  return Array.from({ length: items }, (_, i) => i);
}

const stack = await startStack({ worker: false });
try {
  const rows: string[][] = [];
  let lastId = '';
  for (const [format, { type, body }] of Object.entries(bodies)) {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      const res = await fetch(`${stack.api.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: 'Bearer test_key_tenant_a_0001', 'content-type': type },
        body,
      });
      const json = (await res.json()) as { id: string; total: number };
      times.push(performance.now() - started);
      if (res.status !== 202 || json.total !== items) throw new Error(`${format}: HTTP ${res.status}`);
      lastId = json.id;
    }
    const best = Math.min(...times);
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? best;
    const mb = (Buffer.byteLength(body) / 1e6).toFixed(2);
    rows.push([format, mb, best.toFixed(0), median.toFixed(0), String(Math.round((items * 1000) / median))]);
  }
  // Baseline: the same items submitted the way a client without batches would, one POST /v1/jobs each,
  // 8 in flight at a time.
  const baselineStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < items; i = next++) {
        const res = await stack.http('POST', '/v1/jobs', { video_url: url(i) });
        if (res.status !== 202) throw new Error(`baseline item ${i}: HTTP ${res.status}`);
      }
    }),
  );
  const baselineMs = performance.now() - baselineStarted;
  rows.push([
    'single jobs (baseline)',
    '-',
    baselineMs.toFixed(0),
    baselineMs.toFixed(0),
    String(Math.round((items * 1000) / baselineMs)),
  ]);
  const bestBatch = Math.min(...rows.slice(0, -1).map((r) => Number(r[3])));

  const gets: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await stack.http('GET', `/v1/batches/${lastId}`);
    gets.push(performance.now() - started);
  }
  gets.sort((a, b) => a - b);

  console.log(`\nPOST /v1/batches with ${items} items (${rounds} rounds each; no worker)\n`);
  const head = ['format', 'body MB', 'best ms', 'median ms', 'items/s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i] ?? 0)).join('  '));
  console.log(
    `\nratio: one batch is ${(baselineMs / bestBatch).toFixed(1)}x faster than ${items} single POST /v1/jobs`,
  );
  console.log(
    `\nGET /v1/batches/:id (${items} items): median ${gets[10]?.toFixed(1)} ms, max ${gets[19]?.toFixed(1)} ms`,
  );
} finally {
  await stack.close();
}
