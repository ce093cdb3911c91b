import type { RedisClient } from '@foley/shared/infra/redis';

/**
 * Redis replication is asynchronous: a primary that dies right after a write can take the write with
 * it when a replica is promoted. For the few writes that stand between Foley and paying fal twice (the
 * submit claim, the saved request id) the worker asks the primary to confirm that replicas hold them.
 */
export interface ReplicaAck {
  /**
   * True once the replicas required (at most those online) hold every write this connection made so
   * far; at once when none are required or none is online — a primary without a replica has nobody a
   * failover could promote past its writes.
   */
  confirm(anchorKey: string): Promise<boolean>;
}

export function createReplicaAck(opts: {
  redis: RedisClient;
  replicas: number;
  timeoutMs: number;
}): ReplicaAck {
  const { redis, replicas, timeoutMs } = opts;
  return {
    async confirm(anchorKey) {
      if (replicas <= 0) return true;
      // INFO and WAIT name no key, so on Cluster they would go to any node; a keyed EXISTS in the same
      // pipeline sends them to the primary that holds the anchor's slot (the one that took the writes),
      // on the same connection — WAIT counts that connection's writes.
      const info = await redis.pipeline().exists(anchorKey).info('replication').exec();
      const required = Math.min(replicas, onlineReplicas(String(info?.[1]?.[1] ?? '')));
      if (required === 0) return true;
      const replies = await redis.pipeline().exists(anchorKey).call('WAIT', required, timeoutMs).exec();
      const [error, acked] = replies?.[1] ?? [new Error('no reply to WAIT')];
      if (error) throw error;
      return Number(acked) >= required;
    },
  };
}

/** Replicas an `INFO replication` answer lists as online (`slaveN:ip=…,state=online,…`). */
export function onlineReplicas(info: string): number {
  return info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
}
