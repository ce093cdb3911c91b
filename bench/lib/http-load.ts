import { Agent, request } from 'node:http';

/** What one closed-loop load run measured. */
export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
}

/**
 * Sends `total` POSTs of `body(i)` over `connections` keep-alive connections, each connection sending
 * its next request when the previous answer arrived (closed loop), and stops early after `maxMs`.
 */
export async function postLoad(opts: {
  url: string;
  headers: Record<string, string>;
  body: (i: number) => string;
  connections: number;
  total: number;
  maxMs: number;
}): Promise<LoadResult> {
  const target = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const deadline = started + opts.maxMs;
  const one = (payload: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...opts.headers, 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('error', reject);
      req.end(payload);
    });
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      for (let i = next++; i < opts.total && performance.now() < deadline; i = next++) {
        const t = performance.now();
        const status = await one(opts.body(i));
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    statuses,
  };
}
