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
  /** Why a rejected submit got no request (fault, auth, unknown endpoint). */
  reason?: string;
}

type Entry =
  | { kind: 'accepted'; request: FalRequest }
  | {
      kind: 'rejected';
      endpointId: string;
      input: unknown;
      webhookUrl: string | undefined;
      at: Date;
      reason: string;
    };

export interface SubmitLog {
  accepted(request: FalRequest): void;
  rejected(entry: {
    endpointId: string;
    input: unknown;
    webhookUrl: string | undefined;
    reason: string;
  }): void;
  list(): LoggedSubmit[];
  /** Forgets the log; requests keep running and stay reachable by id. */
  clear(): void;
}

/** Every submit the emulator received, in arrival order, with the live status of accepted ones. */
export function createSubmitLog(): SubmitLog {
  let entries: Entry[] = [];
  return {
    accepted: (request) => entries.push({ kind: 'accepted', request }),
    rejected: (e) => entries.push({ kind: 'rejected', ...e, at: new Date() }),
    list: () => entries.map(toLogged),
    clear() {
      entries = [];
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
  };
}
