import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import {
  type RedisProcess,
  type RedisServerGroup,
  redisServerGroup,
  until,
} from '@foley/testkit/redis-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createReplicaAck } from './replica-ack';

// A real primary and replica: the acknowledgement holds the write on the replica before it returns,
// and asks nothing of a primary whose replica is gone (there is nobody a failover could promote).
let group: RedisServerGroup;
let replica: RedisProcess;
let primary: RedisClient;
let replicaClient: Redis;

beforeAll(async () => {
  group = redisServerGroup({ label: 'replica-ack', portRange: [7350, 7399] });
  const [p, r] = await group.ports(2);
  const flags = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
  await group.start('primary', p!, ['--port', String(p), ...flags]);
  replica = await group.start('replica', r!, [
    '--port',
    String(r),
    '--replicaof',
    '127.0.0.1',
    String(p),
    ...flags,
  ]);
  primary = createRedis(`redis://127.0.0.1:${p}`, 'worker');
  replicaClient = new Redis(r!, '127.0.0.1', { lazyConnect: false });
  replicaClient.on('error', () => {});
  await until(
    'the replica to sync',
    async () => /slave0:.*state=online/.test(await primary.info('replication')),
    10_000,
  );
}, 30_000);
afterAll(async () => {
  primary?.disconnect();
  replicaClient?.disconnect();
  await group?.stop();
});

it('returns once the replica holds the writes made before it', async () => {
  const ack = createReplicaAck({ redis: primary, replicas: 1, timeoutMs: 2_000 });
  for (let i = 0; i < 20; i++) {
    await primary.set(`claim:${i}`, 'x', 'NX');
    expect(await ack.confirm(`claim:${i}`)).toBe(true);
    // Read on the replica right away: it is there, not merely on its way.
    expect(await replicaClient.get(`claim:${i}`)).toBe('x');
  }
});

it('asks nothing when none is required, and does not block on a primary that lost its replica', async () => {
  expect(await createReplicaAck({ redis: primary, replicas: 0, timeoutMs: 2_000 }).confirm('k')).toBe(true);
  await replica.kill();
  await until(
    'the primary to see its replica gone',
    async () => !/slave0:/.test(await primary.info('replication')),
    10_000,
  );
  const ack = createReplicaAck({ redis: primary, replicas: 1, timeoutMs: 5_000 });
  await primary.set('after', 'x');
  const started = Date.now();
  expect(await ack.confirm('after')).toBe(true);
  expect(Date.now() - started).toBeLessThan(1_000);
});
