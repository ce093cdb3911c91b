import { API_KEY, type BenchContext, benchPrefix, foleyEnv } from '../lib/context';
import { postLoad } from '../lib/http-load';
import { type RoleProcess, startRole } from '../lib/processes';
import { delta, readCounters } from '../lib/redis-meter';
import { fmt, type PairResult } from '../lib/rows';
import { median, spread } from '../lib/stats';

const CONNECTIONS = 64;

interface Round {
  perSecond: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  commandsPerRequest: number;
}

const body = (i: number) =>
  JSON.stringify({
    video_url: `https://cdn.example.com/clips/${i}.mp4`,
    sound_effect_prompt: 'rain on a tin roof',
  });

async function measure(ctx: BenchContext, server: RoleProcess, total: number, auth: boolean): Promise<Round> {
  const before = await readCounters(ctx.redis);
  const cpuBefore = server.cpuSeconds();
  const load = await postLoad({
    url: `${server.url}/v1/jobs`,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${API_KEY}` } : {}) },
    body,
    connections: CONNECTIONS,
    total,
    maxMs: 60_000,
  });
  const cpu = server.cpuSeconds() - cpuBefore;
  const counters = delta(before, await readCounters(ctx.redis));
  const accepted = load.statuses[202] ?? 0;
  if (accepted !== load.requests)
    throw new Error(`intake: not every POST was accepted: ${JSON.stringify(load.statuses)}`);
  return {
    perSecond: load.perSecond,
    p99Ms: load.p99Ms,
    cpuMsPerRequest: (cpu * 1000) / load.requests,
    commandsPerRequest: counters.commands / load.requests,
  };
}

/** `POST /v1/jobs` through Foley's API vs the bare Express + zod + queue.add server, alternating. */
export async function intakePair(ctx: BenchContext, api: RoleProcess): Promise<PairResult> {
  const rounds = ctx.smoke ? 1 : 3;
  const total = ctx.smoke ? 200 : 4_000;
  const bare = await startRole('bare-intake', { REDIS_URL: ctx.redisUrl, QUEUE_PREFIX: benchPrefix('bare') });
  try {
    // Warm-up: JIT, connection pools, Redis script loading.
    await measure(ctx, bare, Math.min(total, 500), false);
    await measure(ctx, api, Math.min(total, 500), true);
    const f: Round[] = [];
    const b: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        b.push(await measure(ctx, bare, total, false));
        f.push(await measure(ctx, api, total, true));
      } else {
        f.push(await measure(ctx, api, total, true));
        b.push(await measure(ctx, bare, total, false));
      }
    }
    const rps = f.map((x, i) => x.perSecond / (b[i] as Round).perSecond);
    const p99 = f.map((x, i) => x.p99Ms / (b[i] as Round).p99Ms);
    const cpu = f.map((x, i) => (b[i] as Round).cpuMsPerRequest / x.cpuMsPerRequest);
    const m = (xs: Round[], k: keyof Round) => median(xs.map((x) => x[k]));
    return {
      name: 'intake',
      rows: [
        {
          path: `API intake req/s, ${CONNECTIONS} connections`,
          foley: `${fmt(m(f, 'perSecond'))} req/s`,
          baseline: `${fmt(m(b, 'perSecond'))} req/s`,
          ratio: median(rps),
          ratioSpread: spread(rps),
          goal: '≥ 0.9×',
          met: median(rps) >= 0.9,
        },
        {
          path: 'API intake p99',
          foley: `${fmt(m(f, 'p99Ms'), 1)} ms`,
          baseline: `${fmt(m(b, 'p99Ms'), 1)} ms`,
          ratio: median(p99),
          ratioSpread: spread(p99),
          goal: '≤ 1.5×',
          met: median(p99) <= 1.5,
        },
        {
          path: 'API intake CPU per request (bare ÷ Foley)',
          foley: `${fmt(m(f, 'cpuMsPerRequest'), 3)} ms`,
          baseline: `${fmt(m(b, 'cpuMsPerRequest'), 3)} ms`,
          ratio: median(cpu),
          ratioSpread: spread(cpu),
          goal: '≥ 0.9× (agrees with req/s?)',
          met: median(cpu) >= 0.9,
        },
      ],
      details: [
        `Intake: ${rounds} alternating pairs of ${fmt(total)} POSTs over ${CONNECTIONS} keep-alive connections, after a warm-up of each. ` +
          `Redis commands per POST: Foley ${fmt(m(f, 'commandsPerRequest'), 2)}, bare ${fmt(m(b, 'commandsPerRequest'), 2)} ` +
          "(counted by the private Redis, script-internal calls included; Foley sends them in 2 sequential round trips — the rate limit, then BullMQ's add and the intake script together — see `apps/api/src/jobs/job-intake.int.test.ts` and `jobs-service.test.ts`).",
      ],
      facts: {
        intakeFoleyRps: m(f, 'perSecond'),
        intakeFoleyCpuMs: m(f, 'cpuMsPerRequest'),
        intakeCommandsPerPost: m(f, 'commandsPerRequest'),
      },
    };
  } finally {
    await bare.stop();
  }
}

/** Starts the Foley API used by the intake and batch pairs. */
export function startFoleyApi(ctx: BenchContext, prefix: string): Promise<RoleProcess> {
  return startRole('api', foleyEnv(ctx, prefix));
}
