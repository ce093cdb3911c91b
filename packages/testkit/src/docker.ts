import { execFile } from 'node:child_process';

let answer: Promise<boolean> | undefined;

/**
 * Whether a Docker engine answers (not just a `docker` CLI), decided within ~2 s and without output.
 * Testcontainers' own discovery is slow and noisy when there is no engine, so we ask the CLI first.
 * `TESTCONTAINERS_DISABLED=1` skips Docker even when it runs. Memoized per process.
 */
export function dockerAvailable(): Promise<boolean> {
  if (process.env.TESTCONTAINERS_DISABLED === '1') return Promise.resolve(false);
  answer ??= new Promise((resolve) => {
    execFile(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      { timeout: 2_000, windowsHide: true },
      (error, stdout) => resolve(!error && stdout.trim().length > 0),
    );
  });
  return answer;
}
