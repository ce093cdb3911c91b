import { ApiError } from '@foley/shared/errors';
import { isId } from '@foley/shared/ids';
import { createJobBodySchema, JOB_STATUSES } from '@foley/shared/jobs/contract';
import { Router } from 'express';
import { z } from 'zod';
import { jobQuerySchema } from '../batches/parsing/settings';
import { tenantOf } from '../http/auth';
import { requireJson } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { fieldIssues, parseBody, validationError } from '../http/validation';
import type { Idempotency } from './idempotency';
import type { JobsService } from './jobs-service';

export const listJobsQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  batch_id: z.string().min(1).optional(),
  cursor: z
    .string()
    .refine((value) => isId(value, 'job'), 'must be the next_cursor of an earlier page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function jobsRouter(deps: {
  jobs: JobsService;
  idempotency: Idempotency;
  jsonLimit: number;
  /** Index key of a batch's jobs, when the caller owns that batch (batches plug in here). */
  batchIndex?: (tenant: string, batchId: string) => Promise<string>;
}): Router {
  const router = Router();
  const json = [requireJson(), jsonBody({ limit: deps.jsonLimit, type: 'application/json' })];

  router.post('/v1/jobs', ...json, async (req, res) => {
    const tenant = tenantOf(res);
    const key = deps.idempotency.validateKey(req.get('idempotency-key'));
    const body = parseBody(createJobBodySchema, req.body);
    const query = jobQuerySchema.safeParse(req.query);
    if (!query.success) throw validationError(fieldIssues(query.error, ['query'], req.query));
    if (query.data.dry_run) {
      res.status(200).json(await deps.jobs.dryRun(tenant, body));
      return;
    }
    const { job, replayed } = await deps.jobs.create(tenant, body, key);
    res
      .status(replayed ? 200 : 202)
      .location(`/v1/jobs/${job.id}`)
      .json(job);
  });

  router.get('/v1/jobs', async (req, res) => {
    const tenant = tenantOf(res);
    const parsed = listJobsQuerySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(fieldIssues(parsed.error, ['query'], req.query));
    const { batch_id, ...q } = parsed.data;
    let indexKey: string | undefined;
    if (batch_id) {
      if (!deps.batchIndex) throw new ApiError('validation_error', 'batch_id: batches are not enabled');
      indexKey = await deps.batchIndex(tenant, batch_id);
    }
    res.json({
      object: 'list',
      ...(await deps.jobs.list(tenant, { ...q, ...(indexKey ? { indexKey } : {}) })),
    });
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    res.json(await deps.jobs.get(tenantOf(res), jobId(req.params.id)));
  });

  router.post('/v1/jobs/:id/cancel', async (req, res) => {
    const job = await deps.jobs.cancel(tenantOf(res), jobId(req.params.id));
    res.status(job.status === 'canceled' ? 200 : 202).json(job);
  });

  return router;
}

/** A malformed id cannot exist: answer 404 like any unknown id (no oracle for what is valid). */
function jobId(raw: string | undefined): string {
  if (!raw || !isId(raw, 'job')) throw new ApiError('not_found', 'job not found');
  return raw;
}
