import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A benchmark role (API, worker, emulator, a baseline) running in its own process. */
export interface RoleProcess {
  pid: number;
  /** What the role announced when ready (its URL, if it serves one). */
  url: string;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

// One exit hook for every child, so a crashed or interrupted run leaves no process behind.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

const ROLE_SCRIPT = fileURLToPath(new URL('../roles.ts', import.meta.url));
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces) start at `state`; utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Starts `bench/roles.ts <role>` with `env` and resolves when it says it is ready (30 s at most). */
// BENCH_CPU_PROF=<dir>: each role and emulator writes a V8 CPU profile there (open it in Chrome
// DevTools, or sum it up with bench/profile-summary.ts).
const profile = () =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

export function startRole(role: string, env: Record<string, string>): Promise<RoleProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...profile(), ...process.execArgv, ROLE_SCRIPT, role],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${role} was not ready within 30 s`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with code ${code} before it was ready`));
    });
    child.on('message', (message: { ready?: boolean; url?: string }) => {
      if (!message.ready) return;
      clearTimeout(timer);
      const pid = child.pid as number;
      resolve({ pid, url: message.url ?? '', cpuSeconds: () => cpuSecondsOf(pid), stop });
    });
  });
}

const EMULATOR_MAIN = fileURLToPath(new URL('../../apps/fal-emulator/src/main.ts', import.meta.url));

/**
 * The fal emulator as `pnpm emulator` runs it (its own main.ts and config), so every FAL_EMULATOR_*
 * variable in `env` — the media mode included — reaches it unchanged.
 */
export async function startEmulatorProcess(env: Record<string, string>, port: number): Promise<RoleProcess> {
  const child = spawn(process.execPath, [...profile(), ...process.execArgv, EMULATOR_MAIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, FAL_EMULATOR_PORT: String(port) },
  });
  track(child);
  const url = `http://127.0.0.1:${port}`;
  const pid = child.pid as number;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the emulator exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/_emulator/requests`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { pid, url, cpuSeconds: () => cpuSecondsOf(pid), stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('the emulator did not answer within 30 s');
}
