import type { Stack } from './stack';

/**
 * A failover drill on a running stack: submit `jobs` dubbing jobs through the API (a client that
 * retries 503s with the same Idempotency-Key), run `kill` once a third of them completed, probe the
 * API every 100 ms from the kill until it answers normally again, then wait for every job to end.
 * Returns what the assertions need: each probe's status and latency, each job's end, and the fal
 * submits the emulator saw per job.
 */
export interface DrillResult {
  jobIds: string[];
  probes: Array<{ status: number; ms: number }>;
  /** Milliseconds from the kill until the API answered 200 again. */
  recoveredAfterMs: number;
  final: Array<{ id: string; status: string }>;
  /** Per job, the fal submits the emulator saw for its recorded request id. */
  submitsPerJob: number[];
  /** Every submit the emulator saw for the drill's input (a double submit would add one no job names). */
  totalSubmits: number;
  /** Submit POSTs that got 503 first and were retried. */
  submitRetries: number;
}

/** Longest the API may take to answer anything (the bound). */
export const ANSWER_BOUND_MS = 10_000;

export async function runFailoverDrill(
  stack: Stack,
  opts: { jobs: number; kill: () => Promise<void>; label: string },
): Promise<DrillResult> {
  const video = `${stack.emulator.url}/_emulator/samples/sample.mp4`;
  // One input for every job: the emulator (media `reuse`) renders it once. Submits are told apart by
  // fal request id, which each job records.
  const prompt = `${opts.label} failover drill`;
  let submitRetries = 0;
  const submit = async (i: number): Promise<string> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await timed(() =>
        stack.http(
          'POST',
          '/v1/jobs',
          { video_url: video, sound_effect_prompt: prompt },
          { headers: { 'idempotency-key': `${opts.label}-${i}` } },
        ),
      );
      if (res.result?.status === 202) return res.result.body.id as string;
      if (res.result?.status !== 503)
        throw new Error(`submit ${i}: ${res.result?.status} ${JSON.stringify(res.result?.body)}`);
      submitRetries++;
      await sleep(200);
    }
    throw new Error(`submit ${i} was not accepted within 30 s`);
  };

  const jobIds: string[] = [];
  for (let i = 0; i < opts.jobs; i++) jobIds.push(await submit(i));

  // Mid-run: a third of the jobs done, the rest queued or waiting on fal.
  await waitFor(async () => (await countCompleted(stack, jobIds)) >= Math.ceil(opts.jobs / 3), 60_000);
  const killedAt = Date.now();
  // Probed while the failover happens (the kill resolves once the topology reports a new master).
  let failedOver = false;
  const killing = opts.kill().then(() => {
    failedOver = true;
  });

  const probes: DrillResult['probes'] = [];
  let recoveredAfterMs = -1;
  let healthyInARow = 0;
  while (Date.now() - killedAt < 60_000) {
    const probe = await timed(() => stack.http('GET', `/v1/jobs/${jobIds[0]}`));
    probes.push({ status: probe.result?.status ?? 0, ms: probe.ms });
    healthyInARow = probe.result?.status === 200 ? healthyInARow + 1 : 0;
    // Recovered: the topology has a new master and the API answers 200 again, a few times in a row.
    if (healthyInARow >= 3 && failedOver) {
      recoveredAfterMs = Date.now() - killedAt;
      break;
    }
    await sleep(100);
  }

  await killing;
  const final: Array<DrillResult['final'][number] & { requestId: string | undefined }> = [];
  for (const id of jobIds) {
    const job = await stack.waitForJob(id, ['completed', 'failed', 'canceled'], 90_000);
    final.push({ id, status: job.status as string, requestId: job.fal_request_id as string | undefined });
  }
  const requests = (await stack.emulatorRequests()).filter(
    (r) => (r.input as { sound_effect_prompt?: string })?.sound_effect_prompt === prompt,
  );
  const submitsPerJob = final.map(
    (j) => requests.filter((r) => j.requestId && r.request_id === j.requestId).length,
  );
  return {
    jobIds,
    probes,
    recoveredAfterMs,
    final,
    submitsPerJob,
    totalSubmits: requests.length,
    submitRetries,
  };
}

async function countCompleted(stack: Stack, ids: string[]): Promise<number> {
  let done = 0;
  for (const id of ids) {
    const res = await stack.http('GET', `/v1/jobs/${id}`);
    if (res.status === 200 && res.body.status === 'completed') done++;
  }
  return done;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T | undefined; ms: number }> {
  const started = Date.now();
  const timeout = sleep(ANSWER_BOUND_MS + 5_000).then(() => undefined);
  const result = await Promise.race([run(), timeout]);
  return { result, ms: Date.now() - started };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
