import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { listenOnLoopback } from '@foley/testkit/listen';
import { describe, expect, it } from 'vitest';
import { run } from './main';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) =>
    new Writable({
      write(chunk, _e, cb) {
        into.push(String(chunk));
        cb();
      },
    });
  return {
    io: { stdout: stream(out), stderr: stream(err) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('foley (in-process)', () => {
  it('exits 2 on usage errors, with a message', async () => {
    const cases = [
      ['submit'],
      ['frobnicate'],
      ['status', 'nope'],
      ['submit', 'https://x/v.mp4', '--out', '/tmp/x'],
      ['submit', '--poll', '-1', 'https://x'],
    ];
    for (const argv of cases) {
      const t = io();
      expect(await run(argv, {}, t.io)).toBe(2);
      expect(t.err()).toMatch(/error/);
    }
  });

  it('exits 0 for --help', async () => {
    const t = io();
    expect(await run(['--help'], {}, t.io)).toBe(0);
    expect(t.out()).toContain('submit');
  });

  it('never prints the API key from the environment, in help or after a usage error', async () => {
    const env = { FOLEY_API_KEY: 'sk_secret_cli_key_0001' };
    for (const argv of [['--help'], ['--bogus'], ['submit', '--nope', 'x.mp4']]) {
      const t = io();
      await run(argv, env, t.io);
      const printed = t.out() + t.err();
      expect(printed, argv.join(' ')).toMatch(/Usage: foley/);
      expect(printed, argv.join(' ')).not.toContain('sk_secret_cli_key_0001');
    }
  });

  it('sends the key from FOLEY_API_KEY, and --api-key wins over it', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"object":"job","id":"job_x","status":"queued"}');
    });
    const { url } = await listenOnLoopback(server);
    try {
      const id = 'job_01m8bv1zgbtqs9wa1dh6btddy2';
      expect(await run(['status', id], { FOLEY_API_URL: url, FOLEY_API_KEY: 'env_key_0001' }, io().io)).toBe(
        0,
      );
      expect(
        await run(
          ['--api-key', 'flag_key_0002', 'status', id],
          { FOLEY_API_URL: url, FOLEY_API_KEY: 'env_key_0001' },
          io().io,
        ),
      ).toBe(0);
    } finally {
      server.close();
    }
    expect(seen).toEqual(['Bearer env_key_0001', 'Bearer flag_key_0002']);
  });

  it('exits 3 when the API is unreachable, naming it', async () => {
    const t = io();
    const code = await run(
      ['status', 'bat_01m8bv1zgbtqs9wa1dh6btddy2'],
      { FOLEY_API_URL: 'http://127.0.0.1:9' },
      t.io,
    );
    expect(code).toBe(3);
    expect(t.err()).toContain('cannot reach the Foley API at http://127.0.0.1:9');
  });
});
