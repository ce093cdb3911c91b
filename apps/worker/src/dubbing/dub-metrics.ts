import { isPipelineError } from '@foley/shared/errors';
import type { FoleyMetrics } from '@foley/shared/infra/metrics';
import type { FalGateway } from '../clients/fal';
import type { DubMetrics } from './dub-deps';

/** The processor's metrics seam, backed by the process's Prometheus registry. */
export function dubMetrics(m: FoleyMetrics): DubMetrics {
  return {
    phase: (phase, seconds) => m.jobPhaseSeconds.observe({ phase }, Math.max(0, seconds)),
    falRequest: (op, status) => m.falRequestsTotal.inc({ op, status }),
    jobFinished: (status, code) => m.jobsTotal.inc({ status, code }),
    retry: (code) => m.retriesTotal.inc({ code }),
  };
}

/** Counts every fal call by operation and outcome (`ok` or the failure code) without touching the gateway. */
export function instrumentFal(fal: FalGateway, metrics: Pick<DubMetrics, 'falRequest'>): FalGateway {
  const track = async <T>(
    op: Parameters<DubMetrics['falRequest']>[0],
    call: () => Promise<T>,
  ): Promise<T> => {
    try {
      const value = await call();
      metrics.falRequest(op, 'ok');
      return value;
    } catch (error) {
      metrics.falRequest(op, isPipelineError(error) ? error.code : 'error');
      throw error;
    }
  };
  return {
    submit: (input, opts) => track('submit', () => fal.submit(input, opts)),
    status: (requestId) => track('status', () => fal.status(requestId)),
    result: (requestId) => track('result', () => fal.result(requestId)),
    cancel: (requestId) => track('cancel', () => fal.cancel(requestId)),
    ...(fal.billableUnits ? { billableUnits: fal.billableUnits.bind(fal) } : {}),
    ...(fal.streamUntilCompleted
      ? {
          // Never throws: counted as `ok` when it saw COMPLETED, `fallback` when the polls must tell.
          streamUntilCompleted: async (requestId: string, abort: AbortSignal) => {
            const completed = await (
              fal.streamUntilCompleted as NonNullable<FalGateway['streamUntilCompleted']>
            )(requestId, abort);
            metrics.falRequest('stream', completed ? 'ok' : 'fallback');
            return completed;
          },
        }
      : {}),
  };
}
