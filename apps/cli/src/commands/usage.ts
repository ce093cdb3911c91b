import type { FoleyClient } from '@foley/client';
import { formatTable } from '../failures';
import { type Io, println } from '../io';

export interface UsageOptions {
  from?: string;
  to?: string;
  groupBy?: 'day' | 'batch';
  json?: boolean;
}

/** `foley usage`: the tenant's spend and job counts over UTC days, as a table. */
export async function usage(client: FoleyClient, opts: UsageOptions, io: Io): Promise<number> {
  const u = await client.usage.get({
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.groupBy ? { groupBy: opts.groupBy } : {}),
  });
  if (opts.json) {
    println(io.stdout, JSON.stringify(u));
    return 0;
  }
  const jobs = Object.entries(u.jobs)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  println(
    io.stdout,
    `${u.from} .. ${u.to}: spent ${u.spent} ${u.currency}, reserved ${u.reserved} ${u.currency}`,
  );
  println(io.stdout, `jobs: ${jobs || 'none'}`);
  if (u.groups?.length) {
    const head = opts.groupBy === 'batch' ? 'BATCH' : 'DAY';
    println(
      io.stdout,
      formatTable(
        [head, `SPENT (${u.currency})`, 'JOBS'],
        u.groups.map((g) => [g.key, String(g.spent), String(g.jobs)]),
      ),
    );
  }
  return 0;
}
