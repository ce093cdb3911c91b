import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cancelledFailure, infraFailure, type RunFailure } from './errors';
import type { KlingOutput } from './fal-contract';

export type RequestState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export interface RequestLog {
  message: string;
  level: 'STDERR' | 'STDOUT' | 'ERROR' | 'INFO' | 'WARN' | 'DEBUG';
  source: 'USER';
  timestamp: string;
}

export type Outcome = { ok: true; output: KlingOutput } | { ok: false; failure: RunFailure };

export interface FalRequest {
  id: string;
  endpointId: string;
  /** `owner/alias`: the part of the endpoint id that status/result/cancel URLs carry. */
  appId: string;
  input: unknown;
  webhookUrl: string | undefined;
  createdAt: Date;
  state: RequestState;
  canceled: boolean;
  logs: RequestLog[];
  startedAt?: number;
  completedAt?: number;
  outcome?: Outcome;
}

export type RunFn = (
  req: FalRequest,
  signal: AbortSignal,
  log: (message: string) => void,
) => Promise<Outcome>;

export type CancelResult = 'CANCELLATION_REQUESTED' | 'ALREADY_COMPLETED' | 'NOT_FOUND';

export interface RequestQueue {
  submit(params: {
    endpointId: string;
    appId: string;
    input: unknown;
    webhookUrl?: string | undefined;
  }): FalRequest;
  get(id: string): FalRequest | undefined;
  /** 0-based number of requests ahead; undefined unless IN_QUEUE. */
  position(id: string): number | undefined;
  cancel(id: string): CancelResult;
  /** Called on every change of the request (state, position, logs); returns the unsubscribe. */
  onChange(id: string, listener: (req: FalRequest) => void): () => void;
  /** Aborts running requests, drops queued ones and waits for the runs to stop. */
  close(): Promise<void>;
}

/**
 * fal's queue for one account: FIFO, at most `concurrency` requests running at once. A request always
 * ends COMPLETED — failures and cancellations are told by its outcome, as on fal.
 */
export function createRequestQueue(opts: {
  concurrency: number;
  run: RunFn;
  onCompleted?: (req: FalRequest) => void;
}): RequestQueue {
  const requests = new Map<string, FalRequest>();
  let waiting: string[] = [];
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let closed = false;

  const emit = (req: FalRequest) => events.emit(req.id, req);
  const emitPositions = () => {
    for (const id of waiting) {
      const req = requests.get(id);
      if (req) emit(req);
    }
  };

  function complete(req: FalRequest, outcome: Outcome) {
    req.state = 'COMPLETED';
    req.completedAt = Date.now();
    req.outcome = outcome;
    emit(req);
    opts.onCompleted?.(req);
  }

  function pump() {
    while (!closed && running.size < opts.concurrency && waiting.length > 0) {
      const id = waiting.shift()!;
      const req = requests.get(id);
      if (req) start(req);
    }
    emitPositions();
  }

  function start(req: FalRequest) {
    const controller = new AbortController();
    req.state = 'IN_PROGRESS';
    req.startedAt = Date.now();
    const log = (message: string) => {
      req.logs.push({ message, level: 'INFO', source: 'USER', timestamp: new Date().toISOString() });
      emit(req);
    };
    const done = (async () => {
      let outcome: Outcome;
      try {
        outcome = await opts.run(req, controller.signal, log);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcome = {
          ok: false,
          failure: infraFailure(500, 'internal_error', `Emulator run failed: ${message}`),
        };
      }
      if (req.canceled) outcome = { ok: false, failure: cancelledFailure() };
      running.delete(req.id);
      if (!closed) complete(req, outcome);
      pump();
    })();
    running.set(req.id, { controller, done });
    emit(req);
  }

  return {
    submit(params) {
      const req: FalRequest = {
        id: randomUUID(),
        endpointId: params.endpointId,
        appId: params.appId,
        input: params.input,
        webhookUrl: params.webhookUrl,
        createdAt: new Date(),
        state: 'IN_QUEUE',
        canceled: false,
        logs: [],
      };
      requests.set(req.id, req);
      waiting.push(req.id);
      // Deferred so the submit's answer (queue_position) is sent before the request can start.
      queueMicrotask(pump);
      return req;
    },
    get: (id) => requests.get(id),
    position(id) {
      const index = waiting.indexOf(id);
      return index === -1 ? undefined : index;
    },
    cancel(id) {
      const req = requests.get(id);
      if (!req) return 'NOT_FOUND';
      if (req.state === 'COMPLETED') return 'ALREADY_COMPLETED';
      if (req.canceled) return 'CANCELLATION_REQUESTED';
      req.canceled = true;
      if (req.state === 'IN_QUEUE') {
        waiting = waiting.filter((w) => w !== id);
        complete(req, { ok: false, failure: cancelledFailure() });
        emitPositions();
      } else {
        running.get(id)?.controller.abort();
      }
      return 'CANCELLATION_REQUESTED';
    },
    onChange(id, listener) {
      events.on(id, listener);
      return () => events.off(id, listener);
    },
    async close() {
      closed = true;
      waiting = [];
      for (const { controller } of running.values()) controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
      events.removeAllListeners();
    },
  };
}
