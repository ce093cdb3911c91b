import { type Batch, FoleyApiError, type FoleyClient } from '@foley/client';

/**
 * Polls a batch until it ends or `timeoutMs` passes (then returns the last view, still processing).
 * Each read is already retried by the SDK (429, 503, network); on top of that a few consecutive failed
 * reads (an API restart that outlasts those retries, a 5xx) are tolerated over a long wait; a 4xx is not.
 */
export async function waitForBatch(
  client: Pick<FoleyClient, 'batches'>,
  id: string,
  opts: { pollMs: number; timeoutMs: number; onUpdate?: (view: Batch) => void; maxErrors?: number },
): Promise<Batch> {
  const deadline = Date.now() + opts.timeoutMs;
  const maxErrors = opts.maxErrors ?? 5;
  let errors = 0;
  let last: Batch | undefined;
  for (let round = 0; round < 10_000_000; round++) {
    try {
      last = await client.batches.get(id);
      errors = 0;
      opts.onUpdate?.(last);
      if (last.status !== 'processing') return last;
    } catch (error) {
      const permanent = error instanceof FoleyApiError && error.status < 500 && error.status !== 429;
      if (permanent || ++errors > maxErrors) throw error;
    }
    if (Date.now() + opts.pollMs > deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  if (!last) throw new Error(`no answer about batch ${id} before the timeout`);
  return last;
}
