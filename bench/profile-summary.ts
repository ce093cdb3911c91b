/**
 * Summarises V8 CPU profiles (`BENCH_CPU_PROF=<dir> pnpm bench …` writes one `.cpuprofile` per process):
 * self time by module (package or workspace file) and by function, per profile, biggest first.
 *
 *   pnpm exec tsx bench/profile-summary.ts /tmp/prof-orch [--top 15] [--match worker]
 *
 * `--match` keeps profiles whose hottest modules mention the text (e.g. `apps/worker`, `s3rver`);
 * `--from-ms` skips the first milliseconds of each profile (the process's start: module loading).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: profile-summary.ts <dir> [--top N] [--match text]');
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
};
const top = Number(arg('top') ?? 15);
const match = arg('match');
const fromMs = Number(arg('from-ms') ?? 0);

/** The package (`node_modules/<name>`) or the workspace path a script URL belongs to. */
export function moduleOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const ws = /\/(apps|packages|bench|test)\/.*$/.exec(url);
  return ws ? ws[0].slice(1) : url;
}

function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let at = 0;
  samples.forEach((id, i) => {
    at += deltas[i] ?? 0;
    if (at >= fromMs * 1000) self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
  });
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') {
      modules.set(functionName, (modules.get(functionName) ?? 0) + us);
      if (functionName !== '(idle)') total += us;
      continue;
    }
    total += us;
    const mod = moduleOf(url);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${mod}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  return { total, modules, functions };
}

const rank = (m: Map<string, number>, total: number) =>
  [...m]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) =>
        `  ${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`,
    );

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const { total, modules, functions } = summarise(
    JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile,
  );
  const modLines = rank(modules, total);
  if (match && !modLines.some((l) => l.includes(match))) continue;
  console.log(`\n${file}: ${(total / 1000).toFixed(0)} ms busy (idle excluded)`);
  console.log(' by module (self time):');
  console.log(modLines.join('\n'));
  console.log(' by function (self time):');
  console.log(rank(functions, total).join('\n'));
}
