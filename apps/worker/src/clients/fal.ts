import type { FalClient } from '@fal-ai/client';
import { PipelineError } from '@foley/shared/errors';
import { createFoleyFalClient } from '@foley/shared/fal/client';
import {
  MODEL_ENDPOINT,
  type ModelInput,
  type ModelOutput,
  modelOutputSchema,
} from '@foley/shared/jobs/model';
import { billableUnitsFetch } from './fal-billable-units';
import { classifyFalError } from './fal-errors';
import { streamUntilCompleted } from './fal-status-stream';
import { singleShotSubmitFetch } from './fal-submit-fetch';

export type FalQueueStatus =
  | { status: 'IN_QUEUE'; queuePosition: number | undefined }
  | { status: 'IN_PROGRESS' }
  | { status: 'COMPLETED' };

/** What the dubbing processor needs from fal. Every method throws only PipelineError. */
export interface FalGateway {
  /** Exactly one HTTP attempt; see fal-submit-fetch.ts. Returns fal's request id. */
  submit(input: ModelInput, opts?: { webhookUrl?: string }): Promise<string>;
  status(requestId: string): Promise<FalQueueStatus>;
  result(requestId: string): Promise<ModelOutput>;
  /** fal's `X-Fal-Billable-Units` of the result just read, once; undefined when fal sent none. */
  billableUnits?(requestId: string): number | undefined;
  /** Asks fal to cancel; a request that already finished or is unknown is not an error. */
  cancel(requestId: string): Promise<void>;
  /**
   * Resolves true as soon as fal's status stream reports the request COMPLETED; false when the stream
   * could not tell (failed, closed early, aborted). Optional: without it, polls alone find the end.
   */
  streamUntilCompleted?(requestId: string, abort: AbortSignal): Promise<boolean>;
}

/** No fal call may hang a job: each HTTP call gets this long (a hung submit counts as an unknown outcome). */
const CALL_TIMEOUT_MS = 30_000;

/** How every submit asks fal to treat the request (platform headers, docs/fal-protocol.md §13). */
export interface SubmitPolicy {
  /** false (default): `X-Fal-Store-IO: 0`, fal keeps no copy of the input and output JSON. */
  storeIo: boolean;
  /** fal's CDN deletes the output files this long after the run (ms); Foley has copied them by then. */
  outputTtlMs: number;
  /** `X-Fal-Request-Timeout`: a request fal has not started by then never runs (ms; unset = none). */
  startTimeoutMs?: number | undefined;
}

export const DEFAULT_SUBMIT_POLICY: SubmitPolicy = { storeIo: false, outputTtlMs: 24 * 3600_000 };

/** The submit options of the fal client that carry `policy`. */
export function submitOptions(policy: SubmitPolicy) {
  return {
    ...(policy.storeIo ? {} : { headers: { 'x-fal-store-io': '0' } }),
    storageSettings: { expiresIn: Math.ceil(policy.outputTtlMs / 1000) },
    ...(policy.startTimeoutMs !== undefined ? { startTimeout: Math.ceil(policy.startTimeoutMs / 1000) } : {}),
  };
}

export function createFalGateway(opts: {
  falKey: string;
  baseUrl?: string | undefined;
  callTimeoutMs?: number;
  submitPolicy?: SubmitPolicy;
}): FalGateway {
  const policy = submitOptions(opts.submitPolicy ?? DEFAULT_SUBMIT_POLICY);
  const timeout = () => AbortSignal.timeout(opts.callTimeoutMs ?? CALL_TIMEOUT_MS);
  const units = billableUnitsFetch();
  const client = createFoleyFalClient({ falKey: opts.falKey, baseUrl: opts.baseUrl, fetch: units.fetch });
  // A separate client for submits: its fetch makes each submit a single attempt.
  const submitClient: FalClient = createFoleyFalClient({
    falKey: opts.falKey,
    baseUrl: opts.baseUrl,
    fetch: singleShotSubmitFetch(),
  });

  return {
    async submit(input, { webhookUrl } = {}) {
      try {
        const queued = await submitClient.queue.submit(MODEL_ENDPOINT, {
          input,
          abortSignal: timeout(),
          ...policy,
          ...(webhookUrl ? { webhookUrl } : {}),
        });
        if (!queued.request_id) {
          throw new PipelineError(
            'submit_outcome_unknown',
            'fal accepted the submit but named no request_id; not submitting again, to never pay twice',
          );
        }
        return queued.request_id;
      } catch (error) {
        throw classifyFalError(error, 'submit');
      }
    },

    async status(requestId) {
      try {
        const s = await client.queue.status(MODEL_ENDPOINT, {
          requestId,
          logs: false,
          abortSignal: timeout(),
        });
        if (s.status === 'IN_QUEUE') return { status: 'IN_QUEUE', queuePosition: s.queue_position };
        if (s.status === 'IN_PROGRESS') return { status: 'IN_PROGRESS' };
        if (s.status === 'COMPLETED') return { status: 'COMPLETED' };
        throw new PipelineError('fal_unavailable', `fal answered an unknown status ${JSON.stringify(s)}`, {
          retryable: true,
        });
      } catch (error) {
        throw classifyFalError(error, 'status');
      }
    },

    async result(requestId) {
      let data: unknown;
      try {
        data = (await client.queue.result(MODEL_ENDPOINT, { requestId, abortSignal: timeout() })).data;
      } catch (error) {
        throw classifyFalError(error, 'result');
      }
      const parsed = modelOutputSchema.safeParse(data);
      if (!parsed.success) {
        throw new PipelineError('model_error', `fal returned an unexpected result: ${parsed.error.message}`);
      }
      return parsed.data;
    },

    async cancel(requestId) {
      try {
        await client.queue.cancel(MODEL_ENDPOINT, { requestId, abortSignal: timeout() });
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 400 || status === 404) return; // ALREADY_COMPLETED / NOT_FOUND
        throw classifyFalError(error, 'cancel');
      }
    },

    billableUnits: (requestId) => units.take(requestId),

    streamUntilCompleted: (requestId, abort) => streamUntilCompleted(client, requestId, abort),
  };
}
