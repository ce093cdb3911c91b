import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../http/validation';
import { validateItem } from './validate-item';

const noIssues = () => [];
const blockLoopback = (f: { video_url?: string }): FieldIssue[] =>
  f.video_url?.includes('127.0.0.1')
    ? [{ field: 'video_url', rule: 'url_blocked', message: 'loopback' }]
    : [];

describe('validateItem', () => {
  it('fills batch defaults in, the item winning', () => {
    const outcome = validateItem(
      { index: 3, line: 4, value: { video_url: 'https://a/1.mp4', asmr_mode: false, metadata: { n: 1 } } },
      { asmr_mode: true, sound_effect_prompt: 'rain' },
      noIssues,
    );
    expect(outcome).toEqual({
      ok: true,
      index: 3,
      body: {
        video_url: 'https://a/1.mp4',
        asmr_mode: false,
        sound_effect_prompt: 'rain',
        metadata: { n: 1 },
      },
    });
  });

  it('reports field issues in the single-job shape, with index and line', () => {
    const outcome = validateItem(
      { index: 0, line: 2, value: { video_url: 'nope', seed: 1, sound_effect_prompt: 'x'.repeat(201) } },
      undefined,
      noIssues,
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.rejected.index).toBe(0);
    expect(outcome.rejected.line).toBe(2);
    expect(outcome.rejected.errors.map((e) => [e.field, e.rule])).toEqual(
      expect.arrayContaining([
        ['video_url', 'custom'],
        ['seed', 'unknown_field'],
        ['sound_effect_prompt', 'too_big'],
      ]),
    );
  });

  it('rejects per-item webhook_url, missing video_url, parse issues and blocked URLs', () => {
    const rules = (value: unknown, issues?: FieldIssue[]) => {
      const o = validateItem({ index: 0, value, ...(issues ? { issues } : {}) }, undefined, blockLoopback);
      return o.ok ? [] : o.rejected.errors.map((e) => `${e.field}:${e.rule}`);
    };
    expect(rules({ video_url: 'https://a/1.mp4', webhook_url: 'https://h' })).toEqual([
      'webhook_url:unknown_field',
    ]);
    expect(rules({})).toEqual(['video_url:required']);
    expect(rules(undefined, [{ field: '(line)', rule: 'invalid_json', message: 'x' }])).toEqual([
      '(line):invalid_json',
    ]);
    expect(rules(42)).toEqual(['(item):invalid_type']);
    expect(rules({ video_url: 'http://127.0.0.1/v.mp4' })).toEqual(['video_url:url_blocked']);
  });
});
