import { describe, expect, it } from 'vitest';
import { onlineReplicas } from './replica-ack';

describe('onlineReplicas', () => {
  it('counts the replicas INFO replication lists as online', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:2',
      'slave0:ip=127.0.0.1,port=7201,state=online,offset=1234,lag=0',
      'slave1:ip=127.0.0.1,port=7202,state=wait_bgsave,offset=0,lag=0',
      'master_repl_offset:1234',
    ].join('\r\n');
    expect(onlineReplicas(info)).toBe(1);
    expect(onlineReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
  });
});
