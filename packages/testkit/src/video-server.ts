import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server for preflight tests (tests only). Serves named files with optional
 * misbehaviour chosen per request by query string, and counts every body byte it writes.
 *   ?mode=norange   ignores Range: 200 with the whole file and a Content-Length
 *   ?mode=nolength  ignores Range and sends no Content-Length (chunked), HEAD without length too
 *   ?mode=nohead    HEAD answers 405
 *   ?mode=hang      never answers
 *   ?lie=<bytes>    states this file size (HEAD Content-Length, Content-Range total)
 *   ?status=<n>     answers every request with that status
 *   ?type=<mime>    overrides the Content-Type
 *   /redirect?to=<url>  302 to that URL
 */

/** A file as segments: real bytes, or runs of zeros generated on the fly (so 50 MB costs nothing). */
export type Segment = Uint8Array | { zeros: number };
export interface ServedFile {
  segments: Segment[];
  contentType: string;
}

export interface ServedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  bodyBytes: number;
}

const CHUNK = 16 * 1024;

export async function startVideoServer(files: Record<string, ServedFile>) {
  const requests: ServedRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const record: ServedRequest = { method: req.method ?? '', path: url.pathname, status: 0, bodyBytes: 0 };
    if (req.headers.range) record.range = req.headers.range;
    requests.push(record);
    const reply = (status: number, headers: Record<string, string | number> = {}) => {
      record.status = status;
      res.writeHead(status, headers);
    };
    const finish = (status: number, headers: Record<string, string | number> = {}) => {
      reply(status, headers);
      res.end();
    };
    const q = url.searchParams;
    if (q.get('mode') === 'hang') return;
    if (url.pathname === '/redirect') return finish(302, { location: q.get('to') ?? '/' });
    if (q.has('status')) return finish(Number(q.get('status')));
    const file = files[url.pathname.slice(1)];
    if (!file) return finish(404);
    if (req.method === 'HEAD' && q.get('mode') === 'nohead') return finish(405);

    const size = sizeOf(file);
    const statedSize = q.has('lie') ? Number(q.get('lie')) : size;
    const type = q.get('type') ?? file.contentType;
    const honoursRange = q.get('mode') !== 'norange' && q.get('mode') !== 'nolength';
    const range = honoursRange ? parseRange(req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') return finish(416, { 'content-range': `bytes */${size}` });
    const [start, end] = range ?? [0, size - 1];
    const headers: Record<string, string | number> = { 'content-type': type, 'accept-ranges': 'bytes' };
    if (q.get('mode') !== 'nolength') headers['content-length'] = range ? end - start + 1 : statedSize;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${statedSize}`;
    reply(range ? 206 : 200, headers);
    if (req.method === 'HEAD') return res.end();
    void writeBody(res, file, start, end, record);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    bodyBytes: () => requests.reduce((sum, r) => sum + r.bodyBytes, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const sizeOf = (file: ServedFile) =>
  file.segments.reduce((sum, s) => sum + ('zeros' in s ? s.zeros : s.length), 0);

function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!match) return undefined;
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return [start, end];
}

/** Writes [start, end] in 16 KiB chunks, waiting for drain, until done or the client goes away. */
async function writeBody(
  res: ServerResponse,
  file: ServedFile,
  start: number,
  end: number,
  rec: ServedRequest,
) {
  let position = start;
  while (position <= end && !res.destroyed) {
    const chunk = sliceOf(file, position, Math.min(end + 1, position + CHUNK));
    rec.bodyBytes += chunk.length;
    position += chunk.length;
    if (!res.write(chunk)) {
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  }
  if (!res.destroyed) res.end();
}

function sliceOf(file: ServedFile, from: number, to: number): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const segment of file.segments) {
    const length = 'zeros' in segment ? segment.zeros : segment.length;
    const lo = Math.max(from, offset);
    const hi = Math.min(to, offset + length);
    if (lo < hi) {
      parts.push(
        'zeros' in segment ? Buffer.alloc(hi - lo) : Buffer.from(segment.subarray(lo - offset, hi - offset)),
      );
    }
    offset += length;
  }
  return Buffer.concat(parts);
}
