import { describe, expect, it } from 'vitest';
import { PARK_MS } from '../dispatch/ready-entry';
import type { JobView } from '../jobs/view';
import { dubJobOptions } from '../queues/catalog';
import { manifestLine, manifestText } from './manifest';
import { BATCH_FIELDS, type BatchRecord, decodeBatch, encodeBatch } from './record';
import { toBatchView } from './view';

const record = (over: Partial<BatchRecord> = {}): BatchRecord => ({
  id: 'bat_1',
  tenant: 'acme',
  total: 10,
  created_at: '2026-01-01T00:00:00.000Z',
  ended: { completed: 3, failed: 1, canceled: 0 },
  ...over,
});

describe('toBatchView', () => {
  it('derives open counts and percent from the end counters in O(1)', () => {
    expect(toBatchView(record(), { processing: 2 })).toEqual({
      id: 'bat_1',
      object: 'batch',
      status: 'processing',
      total: 10,
      counts: { queued: 4, processing: 2, completed: 3, failed: 1, canceled: 0 },
      percent: 40,
      created_at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('clamps a processing count larger than what is open', () => {
    expect(toBatchView(record(), { processing: 99 }).counts).toMatchObject({ queued: 0, processing: 6 });
  });

  it('ends completed, or canceled when a cancel was asked; finished_at only once ended', () => {
    const ended = { completed: 7, failed: 2, canceled: 1 };
    expect(toBatchView(record({ ended, finished_at: 'T' }))).toMatchObject({
      status: 'completed',
      percent: 100,
      finished_at: 'T',
    });
    expect(toBatchView(record({ ended, canceled_at: 'C', finished_at: 'T' })).status).toBe('canceled');
    const running = toBatchView(record({ canceled_at: 'C', finished_at: 'T' }));
    expect(running).toMatchObject({ status: 'processing', cancel_requested: true });
    expect(running.finished_at).toBeUndefined();
    expect(toBatchView(record({ ended: { completed: 9, failed: 0, canceled: 0 } })).percent).toBe(90);
  });
});

describe('batch record', () => {
  it('round-trips through the hash fields', () => {
    const fields = encodeBatch({
      id: 'bat_1',
      tenant: 'acme',
      total: 5,
      created_at: 'T',
      webhook_url: 'https://h',
      metadata: { a: 1 },
      defaults: { asmr_mode: true },
    });
    const decoded = decodeBatch(BATCH_FIELDS.map((f) => fields[f] ?? null));
    expect(decoded).toEqual({
      id: 'bat_1',
      tenant: 'acme',
      total: 5,
      created_at: 'T',
      webhook_url: 'https://h',
      metadata: { a: 1 },
      defaults: { asmr_mode: true },
      ended: { completed: 0, failed: 0, canceled: 0 },
    });
    expect(decodeBatch(BATCH_FIELDS.map(() => null))).toBeUndefined();
  });
});

describe('manifest', () => {
  const view = (over: Partial<JobView>): JobView => ({
    id: 'job_a',
    object: 'job',
    status: 'completed',
    input: { video_url: 'u', sound_effect_prompt: 's', background_music_prompt: 'b', asmr_mode: false },
    attempts: 1,
    created_at: 'T',
    batch_id: 'bat_1',
    batch_index: 4,
    ...over,
  });

  it('keeps bucket/key of outputs and the error; nothing for a job that has not ended', () => {
    const file = {
      bucket: 'b',
      key: 'k.mp4',
      content_type: 'video/mp4',
      file_name: 'f',
      file_size: 1,
      sha256: 'x',
      url: 'https://signed',
    };
    expect(manifestLine(view({ output: { video: file, audio: { ...file, key: 'k.mp3' } } }))).toEqual({
      index: 4,
      job_id: 'job_a',
      status: 'completed',
      video: { bucket: 'b', key: 'k.mp4' },
      audio: { bucket: 'b', key: 'k.mp3' },
    });
    expect(manifestLine(view({ status: 'failed', error: { code: 'timeout', message: 'late' } }))).toEqual({
      index: 4,
      job_id: 'job_a',
      status: 'failed',
      error: { code: 'timeout', message: 'late' },
    });
    expect(manifestLine(view({ status: 'processing' }))).toBeUndefined();
  });

  it('writes JSONL in item order', () => {
    const lines = [2, 0, 1].map((index) =>
      JSON.stringify({ index, job_id: `job_${index}`, status: 'canceled' }),
    );
    expect(manifestText(lines)).toBe(
      '{"index":0,"job_id":"job_0","status":"canceled"}\n{"index":1,"job_id":"job_1","status":"canceled"}\n' +
        '{"index":2,"job_id":"job_2","status":"canceled"}\n',
    );
  });
});

describe('dubJobOptions', () => {
  it('adds every job parked for the dispatcher, with no BullMQ priority (fairness lives in the ready list)', () => {
    expect(dubJobOptions('job_x', 3)).toMatchObject({ jobId: 'job_x', attempts: 3, delay: PARK_MS });
    expect(dubJobOptions('job_x', 3)).not.toHaveProperty('priority');
  });
});
