import { describe, expect, it } from 'vitest';
import { createFaultStore, faultSpecSchema } from './faults';

describe('faultSpecSchema', () => {
  it('defaults times to 1 and accepts each documented shape', () => {
    expect(faultSpecSchema.parse({ op: 'submit', status: 429, retry_after: 2 })).toMatchObject({ times: 1 });
    for (const spec of [
      { op: 'status', delay_ms: 100 },
      { op: 'result', drop: true },
      { op: 'submit', drop_after_accept: true, delay_ms: 5 },
      { op: 'run', error: 'boom', status: 500 },
      { op: 'file', status: 503, times: 3 },
      { op: 'status', status: 403 },
      { op: 'result', status: 408 },
      { op: 'run', requeue: 2 },
      { op: 'submit', ingress: true, status: 504 },
    ]) {
      expect(faultSpecSchema.safeParse(spec).success).toBe(true);
    }
  });

  it('rejects faults that could not apply or do nothing', () => {
    for (const spec of [
      { op: 'status' },
      { op: 'status', drop_after_accept: true },
      { op: 'submit', error: 'x' },
      { op: 'run', drop: true },
      { op: 'submit', status: 429, drop: true },
      { op: 'submit', status: 404 },
      { op: 'submit', status: 500, extra: 1 },
      { op: 'file', status: 500, times: 0 },
      { op: 'status', requeue: 1 },
      { op: 'run', requeue: 0 },
      { op: 'submit', ingress: true, status: 429 },
      { op: 'submit', ingress: true },
      { op: 'result', ingress: true, status: 502 },
    ]) {
      expect(faultSpecSchema.safeParse(spec).success, JSON.stringify(spec)).toBe(false);
    }
  });
});

describe('createFaultStore', () => {
  it('matches by op, in order, and consumes each fault `times` times', () => {
    const store = createFaultStore();
    const a = store.add(faultSpecSchema.parse({ op: 'status', status: 500, times: 2 }));
    store.add(faultSpecSchema.parse({ op: 'status', status: 503 }));
    store.add(faultSpecSchema.parse({ op: 'result', status: 502 }));
    expect(store.take('submit')).toBeUndefined();
    expect(store.take('status')).toMatchObject({ id: a.id, status: 500, remaining: 1 });
    expect(store.take('status')).toMatchObject({ status: 500, remaining: 0 });
    expect(store.take('status')).toMatchObject({ status: 503 });
    expect(store.take('status')).toBeUndefined();
    expect(store.list().map((f) => f.op)).toEqual(['result']);
    store.clear();
    expect(store.list()).toEqual([]);
  });
});
