import type { JobView } from './view';

/** What the caller knows about a finished job beyond its public view (JobView omits the tenant). */
export interface JobFinishedContext {
  tenant: string;
  /** The unit price reserved for the job at acceptance (micro-dollars), for the spend ledger. */
  priceMicros?: number | undefined;
}

/**
 * Called once when a job reaches a final state (completed, failed, canceled) — by the worker, or by the
 * API when it cancels a queued job. Webhook events and batch counters hang off this seam.
 */
export type OnJobFinished = (view: JobView, context?: JobFinishedContext) => Promise<void>;

export function composeOnJobFinished(...hooks: Array<OnJobFinished | undefined>): OnJobFinished {
  const active = hooks.filter((h): h is OnJobFinished => h !== undefined);
  return async (view, context) => {
    for (const hook of active) await hook(view, context);
  };
}
