import type { FalRequest } from './request-queue';

const QUEUE_ORIGIN = 'https://queue.fal.run';

/** The URLs fal puts in submit and status answers: on `owner/alias`, never on the endpoint path. */
export function requestUrls(req: Pick<FalRequest, 'id' | 'appId'>) {
  const base = `${QUEUE_ORIGIN}/${req.appId}/requests/${req.id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

export function submitBody(req: FalRequest, queuePosition: number) {
  return {
    status: 'IN_QUEUE',
    request_id: req.id,
    gateway_request_id: req.id,
    queue_position: queuePosition,
    ...requestUrls(req),
  };
}

/** A status answer: 202 while queued or running, 200 once COMPLETED (docs/fal-protocol.md §3). */
export function statusBody(
  req: FalRequest,
  opts: { position: number | undefined; logs: boolean },
): { httpStatus: 200 | 202; body: Record<string, unknown> } {
  const common = { request_id: req.id, ...requestUrls(req) };
  const logs = opts.logs ? req.logs : [];
  if (req.state === 'IN_QUEUE') {
    return { httpStatus: 202, body: { status: 'IN_QUEUE', queue_position: opts.position ?? 0, ...common } };
  }
  if (req.state === 'IN_PROGRESS') {
    return { httpStatus: 202, body: { status: 'IN_PROGRESS', logs, ...common } };
  }
  const inference =
    req.startedAt !== undefined && req.completedAt !== undefined
      ? (req.completedAt - req.startedAt) / 1000
      : null;
  const body: Record<string, unknown> = {
    status: 'COMPLETED',
    logs,
    metrics: { inference_time: inference },
    ...common,
  };
  if (req.outcome && !req.outcome.ok) {
    body.error = req.outcome.failure.message;
    body.error_type = req.outcome.failure.errorType;
  }
  return { httpStatus: 200, body };
}
