import type { Redis } from 'ioredis';

/** Redis-side counters, read before and after a measured run on the bench's private Redis. */
export interface RedisCounters {
  commands: number;
  netInBytes: number;
  netOutBytes: number;
  usedMemory: number;
  /** CPU seconds the Redis server spent (user + system). */
  cpuSeconds: number;
  /** Calls per command (`INFO commandstats`; commands a script runs are counted too). */
  byCommand: Record<string, number>;
}

function field(info: string, name: string): number {
  const match = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

export async function readCounters(redis: Redis): Promise<RedisCounters> {
  const info = await redis.info('everything');
  const byCommand: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand[m[1] as string] = Number(m[2]);
  return {
    byCommand,
    commands: field(info, 'total_commands_processed'),
    netInBytes: field(info, 'total_net_input_bytes'),
    netOutBytes: field(info, 'total_net_output_bytes'),
    usedMemory: field(info, 'used_memory'),
    cpuSeconds: field(info, 'used_cpu_user') + field(info, 'used_cpu_sys'),
  };
}

/** after − before, less the one INFO the `after` read itself cost. */
export function delta(before: RedisCounters, after: RedisCounters): RedisCounters {
  return {
    commands: after.commands - before.commands - 1,
    netInBytes: after.netInBytes - before.netInBytes,
    netOutBytes: after.netOutBytes - before.netOutBytes,
    usedMemory: after.usedMemory - before.usedMemory,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    byCommand: Object.fromEntries(
      Object.entries(after.byCommand).map(([k, n]) => [
        k,
        n - (before.byCommand[k] ?? 0) - (k === 'info' ? 1 : 0),
      ]),
    ),
  };
}

/** The commands with the most calls per job, e.g. `evalsha 12.0, hset 9.1`. */
export function topCommands(byCommand: Record<string, number>, jobs: number, n = 8): string {
  return Object.entries(byCommand)
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, calls]) => `${k.toUpperCase()} ${(calls / jobs).toFixed(1)}`)
    .join(', ');
}

/** Keys under `match` that have no TTL (they would stay until someone deletes them). */
export async function keysWithoutTtl(redis: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 100_000; round++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (keys.length) {
      const ttls = await Promise.all(keys.map((k) => redis.ttl(k)));
      keys.forEach((k, i) => {
        if (ttls[i] === -1) found.push(k);
      });
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return found;
}
