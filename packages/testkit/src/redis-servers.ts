import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real `redis-server` processes for topology tests (Cluster, Sentinel, TLS) on loopback ports of a
 * range reserved for them, data under a fresh temp dir. Every server a group starts is killed by
 * `stop()` and, should a test crash, when the process exits.
 */
export interface RedisServerGroup {
  dir: string;
  /** Starts `redis-server <args>` and resolves once `port` accepts connections. */
  start(name: string, port: number, args: string[]): Promise<RedisProcess>;
  /** Free loopback ports within the group's range (checked: nothing listens, we can bind). */
  ports(count: number): Promise<number[]>;
  stop(): Promise<void>;
}

export interface RedisProcess {
  name: string;
  port: number;
  /** SIGKILL, as a crashed host would be; resolves when it is gone. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

export function redisServerGroup(opts: { label: string; portRange: [number, number] }): RedisServerGroup {
  const dir = mkdtempSync(join(tmpdir(), `foley-${opts.label}-`));
  const children = new Set<ChildProcess>();
  const taken = new Set<number>();
  const killAll = () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  return {
    dir,
    async ports(count) {
      const [low, high] = opts.portRange;
      const found: number[] = [];
      const offset = Math.floor(Math.random() * (high - low + 1));
      for (let i = 0; i <= high - low && found.length < count; i++) {
        const port = low + ((offset + i) % (high - low + 1));
        if (taken.has(port)) continue;
        if (await portFree(port)) {
          taken.add(port);
          found.push(port);
        }
      }
      if (found.length < count) throw new Error(`only ${found.length} free ports in ${low}-${high}`);
      return found;
    },
    async start(name, port, args) {
      const home = join(dir, name);
      mkdirSync(home, { recursive: true });
      const child = spawn('redis-server', args, { cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      children.add(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => {});
      for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited (${child.exitCode}) on port ${port}: ${stderr}`);
        if (await portOpen(port)) break;
        await new Promise((r) => setTimeout(r, 50));
        if (i === 99) throw new Error(`${name} did not listen on ${port} within 5 s`);
      }
      return {
        name,
        port,
        get alive() {
          return child.exitCode === null && child.signalCode === null;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    },
    async stop() {
      const exits = [...children].map(
        (c) =>
          new Promise<void>((resolve) =>
            c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
          ),
      );
      killAll();
      await Promise.all(exits);
      process.off('exit', killAll);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `redis-cli <args>`; rejects with its output on a non-zero exit. */
export function redisCli(args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`redis-cli ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    );
  });
}

/** Polls `check` every 100 ms until it returns true, for at most `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Nothing answers on it and we can bind it. */
async function portFree(port: number): Promise<boolean> {
  if (await portOpen(port)) return false;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
