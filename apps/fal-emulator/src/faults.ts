import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const FAULT_OPS = ['submit', 'status', 'result', 'cancel', 'file', 'run'] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

/** A fault to inject, as posted to `POST /_emulator/faults`. */
export const faultSpecSchema = z
  .strictObject({
    op: z.enum(FAULT_OPS),
    status: z
      .union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)])
      .optional(),
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
    if ([f.drop, f.drop_after_accept, f.status !== undefined].filter(Boolean).length > 1) {
      issue('choose one of status, drop, drop_after_accept');
    }
    const effects = [f.status, f.delay_ms, f.drop, f.drop_after_accept, f.error].filter(
      (v) => v !== undefined,
    );
    if (effects.length === 0)
      issue('a fault needs at least one of status, delay_ms, drop, drop_after_accept, error');
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
