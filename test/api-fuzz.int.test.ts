/**
 * Property-based fuzzing of the public API against the in-process stack (real Redis, S3, emulator):
 * whatever arrives — bodies, headers, query strings, content types, encodings, deep and huge JSON,
 * broken UTF-8 — the API answers below 500, stays up, and its memory stays flat.
 *
 * `pnpm test` runs FUZZ_RUNS (default 300) requests; `pnpm test:fuzz` runs 5000. A failing input is
 * shrunk by fast-check and printed (with its seed: FUZZ_SEED replays it); keep it as a regression test once fixed.
 */
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzRequest, fuzzRequest } from './fuzz/requests';
import { type Stack, startStack } from './support/stack';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

let stack: Stack;
beforeAll(async () => {
  // No worker: accepted jobs stay queued, so the fuzzer exercises the API alone.
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** Sends one raw request over a fresh connection; bounded by a 20 s timeout. */
function send(req: FuzzRequest): Promise<Answer> {
  const url = new URL(stack.api.url);
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) },
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer in 20 s to ${req.method} ${req.path}`)));
    r.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close a connection whose body it refused early (413) before we finished writing.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve({ status: 0, body: '' });
      else reject(error);
    });
    r.end(req.body);
  });
}

function forceGc() {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

describe('API fuzzing', () => {
  it(`${RUNS} generated requests: none answered ≥ 500, the API stays up, heap flat`, {
    timeout: 30 * 60_000,
  }, async () => {
    const statuses = new Map<number, number>();
    const run = (runs: number, seed?: number) =>
      fc.assert(
        fc.asyncProperty(fuzzRequest, async (req) => {
          const answer = await send(req);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500)
            throw new Error(
              `${answer.status} for ${req.method} ${req.path} ${JSON.stringify(req.headers)}: ${answer.body}`,
            );
        }),
        { numRuns: runs, ...(seed !== undefined ? { seed } : {}), endOnFailure: true },
      );
    // A warm-up first, so that lazily built things (route caches, compiled schemas) are not counted as growth.
    await run(Math.min(100, RUNS), SEED);
    forceGc();
    const before = process.memoryUsage().heapUsed;
    await run(RUNS, SEED === undefined ? undefined : SEED + 1);
    forceGc();
    const grown = process.memoryUsage().heapUsed - before;
    const counts = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
    console.log(
      `fuzz: ${RUNS + Math.min(100, RUNS)} requests, statuses ${JSON.stringify(counts)}, heap ${(grown / 2 ** 20).toFixed(1)} MiB after`,
    );

    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    // Still up and serving: a plain request after the storm.
    expect((await stack.http('GET', '/v1/jobs?limit=1')).status).toBe(200);
    // Flat: the heap after the run (GC forced) within 32 MiB of the heap after the warm-up.
    expect(grown).toBeLessThan(32 * 2 ** 20);
  });
});
