/** What a `queue.fal.run` path asks for (docs/fal-protocol.md §1, §12). */
export type QueuePath =
  | { op: 'submit'; appId: string; endpointId: string }
  | { op: 'status' | 'stream' | 'result' | 'cancel'; appId: string; requestId: string }
  | { op: 'invalid' };

const NAMESPACES = new Set(['workflows', 'comfy']);
const QUEUE_OPS = new Map<string, 'result' | 'status' | 'stream' | 'cancel'>([
  ['', 'result'],
  ['status', 'status'],
  ['status/stream', 'stream'],
  ['cancel', 'cancel'],
]);

/**
 * `owner/alias[/path]` is a submit; `owner/alias/requests/{id}[/status[/stream]|/cancel]` a queue
 * operation keyed by id only — those URLs never carry the endpoint path.
 */
export function parseQueuePath(path: string): QueuePath {
  const segments = path.split('/').filter(Boolean).map(safeDecode);
  const appLength = NAMESPACES.has(segments[0] ?? '') ? 3 : 2;
  if (segments.length < appLength) return { op: 'invalid' };
  const appId = segments.slice(0, appLength).join('/');
  const rest = segments.slice(appLength);
  if (rest[0] !== 'requests') return { op: 'submit', appId, endpointId: segments.join('/') };
  const requestId = rest[1];
  if (!requestId) return { op: 'invalid' };
  const tail = rest.slice(2).join('/');
  const op = QUEUE_OPS.get(tail);
  return op ? { op, appId, requestId } : { op: 'invalid' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
