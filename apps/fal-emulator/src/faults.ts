import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const FAULT_OPS = ['submit', 'status', 'result', 'cancel', 'file', 'run'] as const;
export type FaultOp = (typeof FAULT_OPS)[number];
export const FAULT_STATUSES = [401, 403, 408, 409, 429, 500, 502, 503, 504] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

/** A fault to inject, as posted to `POST /_emulator/faults`. */
export const faultSpecSchema = z
  .strictObject({
    op: z.enum(FAULT_OPS),
    status: z
      .union(FAULT_STATUSES.map((code) => z.literal(code)) as unknown as [z.ZodLiteral<FaultStatus>])
      .optional(),
    /** op `run`: the request goes IN_PROGRESS and back IN_QUEUE this many times before it completes. */
    requeue: z.number().int().min(1).max(10).optional(),
    /** op `submit` with a 502/503/504: an nginx HTML page without `x-fal-request-id` (fal's ingress). */
    ingress: z.boolean().optional(),
    retry_after: z.number().min(0).max(3600).optional(),
    delay_ms: z.number().int().min(0).max(600_000).optional(),
    drop: z.boolean().optional(),
    drop_after_accept: z.boolean().optional(),
    error: z.string().min(1).max(2000).optional(),
    times: z.number().int().min(1).max(1000).default(1),
  })
  .superRefine((f, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (f.drop_after_accept && f.op !== 'submit') issue('drop_after_accept applies to op "submit" only');
    if (f.error !== undefined && f.op !== 'run') issue('error applies to op "run" only');
    if (f.drop && f.op === 'run') issue('drop does not apply to op "run" (use error or status)');
    if (f.requeue !== undefined && f.op !== 'run') issue('requeue applies to op "run" only');
    if (f.ingress && (f.op !== 'submit' || ![502, 503, 504].includes(f.status ?? 0))) {
      issue('ingress applies to op "submit" with status 502, 503 or 504');
    }
    if ([f.drop, f.drop_after_accept, f.status !== undefined].filter(Boolean).length > 1) {
      issue('choose one of status, drop, drop_after_accept');
    }
    const effects = [f.status, f.delay_ms, f.drop, f.drop_after_accept, f.error, f.requeue].filter(
      (v) => v !== undefined,
    );
    if (effects.length === 0)
      issue('a fault needs at least one of status, delay_ms, drop, drop_after_accept, error, requeue');
  });
export type FaultSpec = z.infer<typeof faultSpecSchema>;

export interface Fault extends FaultSpec {
  id: string;
  /** Matching requests this fault still applies to. */
  remaining: number;
}

export interface FaultStore {
  add(spec: FaultSpec): Fault;
  /** The first pending fault for `op`, consumed once; undefined when none. */
  take(op: FaultOp): Fault | undefined;
  list(): Fault[];
  clear(): void;
}

export function createFaultStore(): FaultStore {
  let faults: Fault[] = [];
  return {
    add(spec) {
      const fault: Fault = { ...spec, id: `flt_${randomUUID()}`, remaining: spec.times };
      faults.push(fault);
      return { ...fault };
    },
    take(op) {
      const fault = faults.find((f) => f.op === op && f.remaining > 0);
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining === 0) faults = faults.filter((f) => f !== fault);
      return { ...fault };
    },
    list: () => faults.map((f) => ({ ...f })),
    clear() {
      faults = [];
    },
  };
}
