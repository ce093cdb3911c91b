import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '@foley/testkit/listen';
import { afterEach, describe, expect, it } from 'vitest';
import { createFalGateway } from './fal';

const INPUT = {
  video_url: 'https://videos.example/a.mp4',
  sound_effect_prompt: 's',
  background_music_prompt: 'm',
  asmr_mode: false,
};

/** A stand-in for fal on loopback that counts submits and answers each with `answer`. */
async function fakeFal(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  let posts = 0;
  const server = createServer((req, res) => {
    if (req.method === 'POST') posts++;
    req.resume();
    req.on('end', () => answer(req, res));
  });
  const { port } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    posts: () => posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('fal gateway submit against a loopback server', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('sends one POST and reports an unknown outcome when the connection drops mid-answer', async () => {
    const fal = await fakeFal((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"request_id":"req_cut"');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    servers.push(fal);
    const gateway = createFalGateway({ falKey: 'k', baseUrl: fal.url, callTimeoutMs: 5_000 });
    const error = await gateway.submit(INPUT).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'submit_outcome_unknown', retryable: false });
    expect(fal.posts()).toBe(1);
  });

  it('sends one POST and reports an unknown outcome for a 2xx that is not JSON', async () => {
    const fal = await fakeFal((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"request_id":');
    });
    servers.push(fal);
    const gateway = createFalGateway({ falKey: 'k', baseUrl: fal.url, callTimeoutMs: 5_000 });
    await expect(gateway.submit(INPUT)).rejects.toMatchObject({ code: 'submit_outcome_unknown' });
    expect(fal.posts()).toBe(1);
  });

  it('returns the request id of a complete answer', async () => {
    const fal = await fakeFal((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-fal-request-id': 'req_ok' })
        .end('{"request_id":"req_ok","status":"IN_QUEUE"}');
    });
    servers.push(fal);
    const gateway = createFalGateway({ falKey: 'k', baseUrl: fal.url, callTimeoutMs: 5_000 });
    expect(await gateway.submit(INPUT)).toBe('req_ok');
    expect(fal.posts()).toBe(1);
  });
});
