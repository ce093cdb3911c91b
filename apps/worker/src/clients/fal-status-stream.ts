import type { FalClient } from '@fal-ai/client';
import { MODEL_ENDPOINT } from '@foley/shared/jobs/model';

/**
 * Follows fal's status stream (`…/status/stream`, SSE) of one request and resolves true the moment it
 * reports COMPLETED, so a waiting job learns of the end at once instead of at its next poll. Resolves
 * false when the stream fails, ends without COMPLETED or is aborted: the caller's polls are the
 * fallback, so nothing here is an error.
 */
export async function streamUntilCompleted(
  client: FalClient,
  requestId: string,
  abort: AbortSignal,
): Promise<boolean> {
  if (abort.aborted) return false;
  try {
    const stream = await client.queue.streamStatus(MODEL_ENDPOINT, { requestId, logs: false });
    const stop = () => stream.abort();
    abort.addEventListener('abort', stop, { once: true });
    let completed = false;
    // fal closes the stream right after COMPLETED; seeing the event is enough, without waiting for the close.
    const seen = new Promise<void>((resolve) => {
      stream.on('data', (event: { status?: string }) => {
        if (event.status === 'COMPLETED') {
          completed = true;
          resolve();
        }
      });
    });
    try {
      await Promise.race([seen, stream.done().catch(() => undefined)]);
    } finally {
      abort.removeEventListener('abort', stop);
      if (!completed) stream.abort();
    }
    return completed;
  } catch {
    return false;
  }
}
