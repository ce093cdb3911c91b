import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cancelledFailure, infraFailure, RunFailureError, startTimeoutFailure } from './errors';
import type { KlingOutput } from './fal-contract';

export type RequestState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

export interface RequestLog {
  message: string;
  level: 'STDERR' | 'STDOUT' | 'ERROR' | 'INFO' | 'WARN' | 'DEBUG';
  source: 'USER';
  timestamp: string;
}

export type Outcome = { ok: true; output: KlingOutput } | { ok: false; failure: RunFailureError };

export interface FalRequest {
  id: string;
  endpointId: string;
  /** `owner/alias`: the part of the endpoint id that status/result/cancel URLs carry. */
  appId: string;
  input: unknown;
  webhookUrl: string | undefined;
  /** The `x-fal-*` headers and query parameters the submit came with (for `GET /_emulator/requests`). */
  submitHeaders: Record<string, string>;
  submitQuery: Record<string, string>;
  /** `X-Fal-Request-Timeout`: past this (epoch ms) a request that has not started never runs. */
  startBy: number | undefined;
  createdAt: Date;
  state: RequestState;
  canceled: boolean;
  logs: RequestLog[];
  startedAt?: number;
  completedAt?: number;
  outcome?: Outcome;
  /** Called when the request is forgotten (retention): frees its output files. */
  onForget?: () => void;
}

/** What a run may do to its own request besides logging. */
export interface RunControl {
  /**
   * Shows the request IN_QUEUE again for `ms` (fal retrying it on another runner), then IN_PROGRESS.
   * Throws the start-timeout failure when the request's `X-Fal-Request-Timeout` runs out meanwhile.
   */
  requeue(ms: number): Promise<void>;
}

export type RunFn = (
  req: FalRequest,
  signal: AbortSignal,
  log: (message: string) => void,
  control: RunControl,
) => Promise<Outcome>;

export interface SubmitParams {
  endpointId: string;
  appId: string;
  input: unknown;
  webhookUrl?: string | undefined;
  submitHeaders?: Record<string, string>;
  submitQuery?: Record<string, string>;
  /** Seconds from submit the request may wait before it must have started. */
  startTimeoutSeconds?: number | undefined;
}

export interface QueueCounts {
  inQueue: number;
  inProgress: number;
  /** Requests still remembered (any state): bounded by the retention period. */
  known: number;
  completedTotal: number;
}

export type CancelResult = 'CANCELLATION_REQUESTED' | 'ALREADY_COMPLETED' | 'NOT_FOUND';

export interface RequestQueue {
  submit(params: SubmitParams): FalRequest;
  get(id: string): FalRequest | undefined;
  /** 0-based number of requests ahead; undefined unless IN_QUEUE. */
  position(id: string): number | undefined;
  cancel(id: string): CancelResult;
  /** Requests waiting IN_QUEUE right now (what `fal_max_queue_length` compares with). */
  waitingCount(): number;
  /** True when a new request would have to wait (every slot taken). */
  isFull(): boolean;
  /** The account's concurrency limit, changed live. */
  setConcurrency(n: number): void;
  counts(): QueueCounts;
  /** Called on every change of the request (state, position, logs); returns the unsubscribe. */
  onChange(id: string, listener: (req: FalRequest) => void): () => void;
  /** Aborts running requests, drops queued ones and waits for the runs to stop. */
  close(): Promise<void>;
}

/**
 * fal's queue for one account: FIFO, at most `concurrency` requests IN_PROGRESS at once (queued ones are
 * never refused for it). A request always ends COMPLETED — failures and cancellations are told by its
 * outcome, as on fal — and is forgotten `retainMs` later (then it is unknown: 404).
 */
export function createRequestQueue(opts: {
  concurrency: number;
  run: RunFn;
  onCompleted?: (req: FalRequest) => void;
  /** How long a completed request stays readable; default forever. */
  retainMs?: number;
  now?: () => number;
}): RequestQueue {
  const now = opts.now ?? Date.now;
  let concurrency = opts.concurrency;
  let completedTotal = 0;
  const requests = new Map<string, FalRequest>();
  const timers = new Set<NodeJS.Timeout>();
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

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  function complete(req: FalRequest, outcome: Outcome) {
    req.state = 'COMPLETED';
    req.completedAt = now();
    req.outcome = outcome;
    completedTotal += 1;
    emit(req);
    opts.onCompleted?.(req);
    if (opts.retainMs !== undefined) later(opts.retainMs, () => forget(req));
  }

  function forget(req: FalRequest) {
    requests.delete(req.id);
    events.removeAllListeners(req.id);
    req.onForget?.();
  }

  /** X-Fal-Request-Timeout: a request still waiting when it runs out never runs. */
  function expireIfWaiting(req: FalRequest) {
    if (req.state !== 'IN_QUEUE' || !waiting.includes(req.id)) return;
    waiting = waiting.filter((w) => w !== req.id);
    complete(req, { ok: false, failure: startTimeoutFailure() });
    emitPositions();
  }

  function pump() {
    while (!closed && running.size < concurrency && waiting.length > 0) {
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
    const control: RunControl = {
      async requeue(ms) {
        req.state = 'IN_QUEUE';
        emit(req);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          controller.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(controller.signal.reason);
          });
        });
        if (req.startBy !== undefined && now() >= req.startBy) throw startTimeoutFailure();
        req.state = 'IN_PROGRESS';
        emit(req);
      },
    };
    const done = (async () => {
      let outcome: Outcome;
      try {
        outcome = await opts.run(req, controller.signal, log, control);
      } catch (error) {
        if (isRunFailure(error) && !req.canceled) {
          outcome = { ok: false, failure: error };
        } else {
          const message = error instanceof Error ? error.message : String(error);
          outcome = {
            ok: false,
            failure: infraFailure(500, 'internal_error', `Emulator run failed: ${message}`),
          };
        }
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
      const created = now();
      const timeout = params.startTimeoutSeconds;
      const req: FalRequest = {
        id: randomUUID(),
        endpointId: params.endpointId,
        appId: params.appId,
        input: params.input,
        webhookUrl: params.webhookUrl,
        submitHeaders: params.submitHeaders ?? {},
        submitQuery: params.submitQuery ?? {},
        startBy: timeout === undefined ? undefined : created + timeout * 1000,
        createdAt: new Date(created),
        state: 'IN_QUEUE',
        canceled: false,
        logs: [],
      };
      requests.set(req.id, req);
      waiting.push(req.id);
      if (timeout !== undefined) later(timeout * 1000, () => expireIfWaiting(req));
      // Deferred so the submit's answer (queue_position) is sent before the request can start.
      queueMicrotask(pump);
      return req;
    },
    get: (id) => requests.get(id),
    position(id) {
      const index = waiting.indexOf(id);
      return index === -1 ? undefined : index;
    },
    waitingCount: () => waiting.length,
    isFull: () => running.size + waiting.length >= concurrency,
    setConcurrency(n) {
      concurrency = n;
      pump();
    },
    counts: () => ({
      inQueue: waiting.length,
      inProgress: running.size,
      known: requests.size,
      completedTotal,
    }),
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
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const { controller } of running.values()) controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
      events.removeAllListeners();
    },
  };
}

const isRunFailure = (error: unknown): error is RunFailureError => error instanceof RunFailureError;
