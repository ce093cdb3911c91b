import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RedisProcess, redisCli, redisServerGroup, until } from './redis-servers';

/**
 * Redis topologies started for real on loopback (ports 7100–7399 are reserved for these tests): a
 * Cluster of 3 masters + 3 replicas, a Sentinel group (master, replica, 3 sentinels), a TLS server.
 * Each returns the env that points Foley at it, and `stop()` ends every server it started.
 */
export interface RedisTopology {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];

export interface TestCluster extends RedisTopology {
  /** The master currently serving the hash slot of `key`. */
  masterOf(key: string): Promise<RedisProcess>;
  /** Resolves once a live master serves the slot of `key` and the cluster reports ok. */
  waitHealthy(key: string, timeoutMs: number): Promise<void>;
}

export async function startRedisCluster(portRange: [number, number] = [7100, 7199]): Promise<TestCluster> {
  const group = redisServerGroup({ label: 'cluster', portRange });
  try {
    const ports = await group.ports(12);
    const nodes: RedisProcess[] = [];
    for (let i = 0; i < 6; i++) {
      const port = ports[i]!;
      nodes.push(
        await group.start(`node-${port}`, port, [
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(ports[i + 6]),
          '--cluster-config-file',
          `nodes-${port}.conf`,
          // Fast failure detection: a killed master is replaced within a few seconds.
          '--cluster-node-timeout',
          '1500',
          '--cluster-replica-validity-factor',
          '0',
          ...NO_PERSISTENCE,
        ]),
      );
    }
    const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
    await redisCli(['--cluster', 'create', ...seeds, '--cluster-replicas', '1', '--cluster-yes']);
    const byPort = new Map(nodes.map((n) => [n.port, n]));
    const masterPortOf = async (key: string) => {
      for (const node of nodes.filter((n) => n.alive)) {
        try {
          const slot = Number((await redisCli(['-p', String(node.port), 'CLUSTER', 'KEYSLOT', key])).trim());
          const lines = (await redisCli(['-p', String(node.port), 'CLUSTER', 'NODES'])).split('\n');
          for (const line of lines) {
            const [, address, flags, , , , , state, ...ranges] = line.split(' ');
            if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue;
            const covers = ranges.some((r) => {
              const [a, b] = r.split('-').map(Number);
              return slot >= a! && slot <= (b ?? a)!;
            });
            if (covers) return Number(address!.split(':')[1]!.split('@')[0]);
          }
        } catch {}
      }
      return undefined;
    };
    const cluster: TestCluster = {
      env: { REDIS_CLUSTER_NODES: seeds.slice(0, 3).join(',') },
      async masterOf(key) {
        const port = await masterPortOf(key);
        const node = port === undefined ? undefined : byPort.get(port);
        if (!node) throw new Error(`no master serves the slot of ${key}`);
        return node;
      },
      async waitHealthy(key, timeoutMs) {
        await until(
          'the cluster to serve the slot',
          async () => {
            const port = await masterPortOf(key);
            if (port === undefined || !byPort.get(port)?.alive) return false;
            const info = await redisCli(['-p', String(port), 'CLUSTER', 'INFO']);
            return info.includes('cluster_state:ok');
          },
          timeoutMs,
        );
      },
      stop: () => group.stop(),
    };
    // Every replica in sync, so a killed master has someone to hand over to.
    await until(
      'replicas to sync',
      async () => {
        let synced = 0;
        for (const n of nodes) {
          const info = await redisCli(['-p', String(n.port), 'INFO', 'replication']);
          if (/master_link_status:up/.test(info)) synced++;
        }
        return synced === 3;
      },
      20_000,
    );
    return cluster;
  } catch (error) {
    await group.stop();
    throw error;
  }
}

export interface TestSentinel extends RedisTopology {
  master: RedisProcess;
  replica: RedisProcess;
  /** Resolves once the sentinels name a live master other than `previous`. */
  waitForNewMaster(previous: RedisProcess, timeoutMs: number): Promise<void>;
}

export const SENTINEL_MASTER_NAME = 'foleytest';

export async function startRedisSentinel(portRange: [number, number] = [7200, 7299]): Promise<TestSentinel> {
  const group = redisServerGroup({ label: 'sentinel', portRange });
  try {
    const [mp, rp, ...sp] = await group.ports(5);
    const master = await group.start('master', mp!, ['--port', String(mp), ...NO_PERSISTENCE]);
    const replica = await group.start('replica', rp!, [
      '--port',
      String(rp),
      '--replicaof',
      '127.0.0.1',
      String(mp),
      ...NO_PERSISTENCE,
    ]);
    await until(
      'the replica to sync',
      async () => /master_link_status:up/.test(await redisCli(['-p', String(rp), 'INFO', 'replication'])),
      10_000,
    );
    for (const port of sp) {
      const conf = join(group.dir, `sentinel-${port}.conf`);
      // Sentinels rewrite their own config file: it must be theirs and writable.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${mp} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      await group.start(`sentinel-${port}`, port, [conf, '--sentinel']);
    }
    const sentinelPorts = sp as number[];
    return {
      env: {
        REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
        REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
      },
      master,
      replica,
      async waitForNewMaster(previous, timeoutMs) {
        await until(
          'the sentinels to promote a new master',
          async () => {
            const reply = await redisCli([
              '-p',
              String(sentinelPorts[0]),
              'SENTINEL',
              'get-master-addr-by-name',
              SENTINEL_MASTER_NAME,
            ]);
            const port = Number(reply.trim().split('\n')[1]);
            return port !== previous.port && port === replica.port;
          },
          timeoutMs,
        );
      },
      stop: () => group.stop(),
    };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

export interface TestTlsRedis extends RedisTopology {
  /** PEM of the throwaway CA that signed the server's certificate. */
  caFile: string;
  port: number;
}

/** A standalone Redis that speaks only TLS, with a CA and server certificate made here by openssl. */
export async function startTlsRedis(portRange: [number, number] = [7300, 7349]): Promise<TestTlsRedis> {
  const group = redisServerGroup({ label: 'tls', portRange });
  try {
    const dir = group.dir;
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=foley-test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
    const [port] = await group.ports(1);
    await group.start('tls', port!, [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
      ...NO_PERSISTENCE,
    ]);
    return {
      env: { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: join(dir, 'ca.crt') },
      caFile: join(dir, 'ca.crt'),
      port: port!,
      stop: () => group.stop(),
    };
  } catch (error) {
    await group.stop();
    throw error;
  }
}
