import type { Redis } from 'ioredis';

/** Redis-side counters, read before and after a measured run on the bench's private Redis. */
export interface RedisCounters {
  commands: number;
  netInBytes: number;
  netOutBytes: number;
  usedMemory: number;
  /** CPU seconds the Redis server spent (user + system). */
  cpuSeconds: number;
}

function field(info: string, name: string): number {
  const match = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

export async function readCounters(redis: Redis): Promise<RedisCounters> {
  const info = await redis.info();
  return {
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
  };
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
