import { Writable } from 'node:stream';
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
