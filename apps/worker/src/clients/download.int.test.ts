import { createServer, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '@foley/testkit/listen';
import { afterEach, describe, expect, it } from 'vitest';
import { createDownloader } from './download';

async function fileServer(answer: (res: ServerResponse) => void) {
  const server = createServer((_req, res) => answer(res));
  const { port } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/out.mp4`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readAll(body: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += chunk.toString();
  return text;
}

describe('createDownloader (loopback file server)', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('lets a body stream for longer than the headers timeout', async () => {
    let finish: () => void = () => {};
    const server = await fileServer((res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '4' });
      res.write('ab');
      finish = () => res.end('ab');
    });
    servers.push(server);
    const download = await createDownloader({ headersTimeoutMs: 1_000 })(server.url);
    expect(download).toMatchObject({ contentType: 'video/mp4', contentLength: 4 });
    // The body's last bytes come well after the headers timeout would have fired.
    setTimeout(() => finish(), 1_200);
    expect(await readAll(download.body)).toBe('abab');
  });

  it('gives up, retryably, on a server that sends no headers in time', async () => {
    const server = await fileServer((res) => {
      setTimeout(() => res.writeHead(200).end('late'), 1_000).unref();
    });
    servers.push(server);
    await expect(createDownloader({ headersTimeoutMs: 100 })(server.url)).rejects.toMatchObject({
      code: 'fal_unavailable',
      retryable: true,
    });
  });
});
