import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';
import { listenOnLoopback } from './listen';

/** Serves local files over loopback with Range support, counting requests (SSRF and preflight tests). */
export async function serveFiles(files: Record<string, string>): Promise<{
  url: string;
  hits: () => number;
  close(): Promise<void>;
}> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const path = files[(req.url ?? '/').slice(1).split('?')[0] as string];
    if (!path) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(path).size;
    const type = path.endsWith('.mov')
      ? 'video/quicktime'
      : path.endsWith('.mp4')
        ? 'video/mp4'
        : 'application/octet-stream';
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = {
      'content-type': type,
      'accept-ranges': 'bytes',
      'content-disposition': `inline; filename="${basename(path)}"`,
    };
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
      res.writeHead(206, {
        ...headers,
        'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${size}`,
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(path, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path).pipe(res);
  });
  const { port } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
