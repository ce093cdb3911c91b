import { type ApiClient, ApiRequestError } from './api-client';
import type { BatchProgressView } from './progress';

export type BatchSnapshot = BatchProgressView & { id: string } & Record<string, unknown>;

/**
 * Polls a batch until it ends or `timeoutMs` passes (then returns the last view, still processing).
 * A few consecutive failed polls (API restarting, 503) are tolerated; a 4xx is not.
 */
export async function waitForBatch(
  client: Pick<ApiClient, 'getBatch'>,
  id: string,
  opts: { pollMs: number; timeoutMs: number; onUpdate?: (view: BatchSnapshot) => void; maxErrors?: number },
): Promise<BatchSnapshot> {
  const deadline = Date.now() + opts.timeoutMs;
  const maxErrors = opts.maxErrors ?? 5;
  let errors = 0;
  let last: BatchSnapshot | undefined;
  for (let round = 0; round < 10_000_000; round++) {
    try {
      last = (await client.getBatch(id)) as unknown as BatchSnapshot;
      errors = 0;
      opts.onUpdate?.(last);
      if (last.status !== 'processing') return last;
    } catch (error) {
      const permanent = error instanceof ApiRequestError && error.status < 500 && error.status !== 429;
      if (permanent || ++errors > maxErrors) throw error;
    }
    if (Date.now() + opts.pollMs > deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  if (!last) throw new Error(`no answer about batch ${id} before the timeout`);
  return last;
}
