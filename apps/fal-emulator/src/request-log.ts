import type { FalRequest } from './request-queue';

export type LoggedStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELED' | 'rejected';

/** One submit as `GET /_emulator/requests` lists it. */
export interface LoggedSubmit {
  request_id: string | null;
  endpoint_id: string;
  input: unknown;
  status: LoggedStatus;
  webhook_url: string | null;
  created_at: string;
  /** The `x-fal-*` request headers of the submit, lower-cased. */
  headers: Record<string, string>;
  /** The submit's query parameters (`fal_webhook`, `fal_max_queue_length`, …). */
  query: Record<string, string>;
  /** Units fal would bill: 1 for a completed run, 0 otherwise; null until the request completes. */
  billable_units: number | null;
  /** Why a rejected submit got no request (fault, auth, unknown endpoint, lock, queue length). */
  reason?: string;
}

export interface RejectedSubmit {
  endpointId: string;
  input: unknown;
  webhookUrl: string | undefined;
  headers: Record<string, string>;
  query: Record<string, string>;
  reason: string;
}

type Entry = { kind: 'accepted'; request: FalRequest } | ({ kind: 'rejected'; at: Date } & RejectedSubmit);

export interface SubmitLog {
  accepted(request: FalRequest): void;
  rejected(entry: RejectedSubmit): void;
  /** Drops the entry of a request the queue forgot (retention). */
  forget(requestId: string): void;
  list(): LoggedSubmit[];
  size(): number;
  /** Forgets the log; requests keep running and stay reachable by id. */
  clear(): void;
}

/**
 * Every submit the emulator received, in arrival order, with the live status of accepted ones. Bounded
 * like the queue: accepted entries go when their request is forgotten, rejected ones after `retainMs`.
 */
export function createSubmitLog(opts: { retainMs?: number } = {}): SubmitLog {
  let entries = new Map<number, Entry>();
  const byRequest = new Map<string, number>();
  let seq = 0;
  return {
    accepted(request) {
      entries.set(++seq, { kind: 'accepted', request });
      byRequest.set(request.id, seq);
    },
    rejected(e) {
      const key = ++seq;
      entries.set(key, { kind: 'rejected', ...e, at: new Date() });
      if (opts.retainMs !== undefined) setTimeout(() => entries.delete(key), opts.retainMs).unref();
    },
    forget(requestId) {
      const key = byRequest.get(requestId);
      if (key === undefined) return;
      byRequest.delete(requestId);
      entries.delete(key);
    },
    list: () => [...entries.values()].map(toLogged),
    size: () => entries.size,
    clear() {
      entries = new Map();
      byRequest.clear();
    },
  };
}

function toLogged(entry: Entry): LoggedSubmit {
  if (entry.kind === 'rejected') {
    return {
      request_id: null,
      endpoint_id: entry.endpointId,
      input: entry.input,
      status: 'rejected',
      webhook_url: entry.webhookUrl ?? null,
      created_at: entry.at.toISOString(),
      headers: entry.headers,
      query: entry.query,
      billable_units: 0,
      reason: entry.reason,
    };
  }
  const r = entry.request;
  return {
    request_id: r.id,
    endpoint_id: r.endpointId,
    input: r.input,
    status: r.canceled && r.state === 'COMPLETED' ? 'CANCELED' : r.state,
    webhook_url: r.webhookUrl ?? null,
    created_at: r.createdAt.toISOString(),
    headers: r.submitHeaders,
    query: r.submitQuery,
    billable_units: r.outcome ? billableUnits(r) : null,
  };
}

/** [DOC] 1 unit per completed video; 0 for validation errors, 5xx, cancels and timeouts (not billed). */
export function billableUnits(req: Pick<FalRequest, 'outcome'>): number {
  return req.outcome?.ok ? 1 : 0;
}
