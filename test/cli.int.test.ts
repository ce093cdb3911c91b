import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeVideo, probeMedia } from '@foley/testkit/media';
import { serveFiles } from '@foley/testkit/static-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runFoley } from './support/foley-cli';
import { API_KEY_A, type Stack, startStack } from './support/stack';

// The `foley` CLI as a subprocess (bin/foley.js → tsx) against a whole stack running in this process.
let stack: Stack;
let files: Awaited<ReturnType<typeof serveFiles>>;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { delayMs: 50, concurrency: 4 } });
  const clip = await makeVideo({ seconds: 3, width: 160, height: 90 });
  files = await serveFiles({ 'clip.mp4': clip, 'short.mp4': await makeVideo({ seconds: 2 }) });
  dir = await mkdtemp(join(tmpdir(), 'foley-cli-'));
  await copyFile(clip, join(dir, 'local one.mp4'));
  await copyFile(
    await makeVideo({ seconds: 3, width: 160, height: 90, format: 'mov' }),
    join(dir, 'two.mov'),
  );
});
afterAll(async () => {
  await files?.close();
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function foley(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runFoley(args, { FOLEY_API_URL: stack.api.url, FOLEY_API_KEY: API_KEY_A, ...env });
}

describe('foley submit --wait --out', () => {
  it('uploads local files, shows progress, downloads outputs, and exits 1 with a table of failures', async () => {
    const out = join(dir, 'out');
    const inputs = [
      join(dir, 'local one.mp4'),
      `${files.url}/short.mp4`,
      join(dir, 'two.mov'),
      `${files.url}/clip.mp4`,
    ];
    const res = await foley([
      'submit',
      ...inputs,
      '--prompt',
      'rain',
      '--wait',
      '--out',
      out,
      '--poll',
      '0.2',
    ]);
    expect(res.stderr).toContain('uploading');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/progress \d+\/4 \(\d+%\) completed \d+ failed \d+/);
    expect(res.stdout).toContain('progress 4/4 (100%) completed 3 failed 1');
    expect(res.stdout).toMatch(/completed: 3 completed, 1 failed, 0 canceled/);
    expect(res.stdout).toMatch(/INDEX\s+INPUT\s+CODE\s+MESSAGE/);
    expect(res.stdout).toMatch(new RegExp(`1\\s+${files.url}/short.mp4\\s+video_too_short`));

    const written = (await readdir(out)).sort();
    expect(written).toHaveLength(6);
    for (const index of [0, 2, 3]) {
      const mine = written.filter((f) => f.startsWith(`${index}-job_`));
      expect(mine.map((f) => f.slice(-4)).sort()).toEqual(['.mp3', '.mp4']);
    }
    for (const name of written) {
      const info = await probeMedia(join(out, name));
      expect(info.durationSeconds).toBeGreaterThan(2.5);
      const types = info.streams.map((s) => s.type).sort();
      expect(types).toEqual(name.endsWith('.mp4') ? ['audio', 'video'] : ['audio']);
    }
    const jobs = await stack.http('GET', '/v1/jobs?limit=10');
    const local = jobs.body.data.find(
      (j: { batch_index: number; input: { sound_effect_prompt: string } }) => j.batch_index === 0,
    );
    expect(local.input.sound_effect_prompt).toBe('rain');
  }, 120_000);

  it('exits 0 when every item of a .jsonl batch completes', async () => {
    const list = join(dir, 'list.jsonl');
    await writeFile(
      list,
      `{"video_url":"${files.url}/clip.mp4"}\n{"video_url":"${files.url}/clip.mp4","asmr_mode":true}\n`,
    );
    const res = await foley(['submit', list, '--wait', '--poll', '0.2', '--json']);
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.batch).toMatchObject({ status: 'completed', counts: { completed: 2, failed: 0 } });
    expect(summary.failures).toEqual([]);
    expect(res.stderr).toContain('progress 2/2 (100%)'); // with --json, progress goes to stderr
  }, 120_000);
});

describe('foley status / cancel / errors', () => {
  it('submits without waiting, reads status, and answers 3 with the API message for a finished batch', async () => {
    const submitted = await foley(['submit', `${files.url}/clip.mp4`, '--json']);
    expect(submitted.code).toBe(0);
    const id = JSON.parse(submitted.stdout).id as string;
    expect(id).toMatch(/^bat_/);
    const deadline = Date.now() + 60_000;
    let status = await foley(['status', id, '--json']);
    while (JSON.parse(status.stdout).status === 'processing' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      status = await foley(['status', id, '--json']);
    }
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, object: 'batch', status: 'completed' });
    const human = await foley(['status', id]);
    expect(human.stdout).toContain(`batch ${id} completed`);
    const cancel = await foley(['cancel', id]);
    expect(cancel.code).toBe(3);
    expect(cancel.stderr).toContain('409 batch_finished');
  }, 120_000);

  it('exits 3 for a bad key or an unreachable API, 2 for usage errors, 1 for rejected items', async () => {
    const bad = await foley(['status', 'bat_01m8bv1zgbtqs9wa1dh6btddy2'], { FOLEY_API_KEY: 'wrong-key-123' });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('401 unauthorized: invalid API key');
    const down = await foley(['status', 'bat_01m8bv1zgbtqs9wa1dh6btddy2', '--api-url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach the Foley API');
    const usage = await foley(['submit', join(dir, 'missing.mp4')]);
    expect(usage.code).toBe(2);
    const atomic = await foley(['submit', `${files.url}/clip.mp4`, 'http://[::1', '--atomic']);
    expect(atomic.code).toBe(3);
    expect(atomic.stderr).toContain('422 validation_error');
    expect(atomic.stderr).toContain('item 1: video_url');
  }, 60_000);
});
