import { describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS } from './fal-contract';
import { validateModelInput } from './input-validation';

describe('validateModelInput', () => {
  it('fills fal defaults and ignores unknown fields', () => {
    const check = validateModelInput({ video_url: 'https://x.test/a.mp4', seed: 3 });
    expect(check).toEqual({ ok: true, value: { video_url: 'https://x.test/a.mp4', ...INPUT_DEFAULTS } });
  });

  it('keeps given prompts and asmr_mode', () => {
    const check = validateModelInput({
      video_url: 'http://x.test/a.mov',
      sound_effect_prompt: 'rain',
      background_music_prompt: '',
      asmr_mode: true,
    });
    expect(check.ok && check.value).toEqual({
      video_url: 'http://x.test/a.mov',
      sound_effect_prompt: 'rain',
      background_music_prompt: '',
      asmr_mode: true,
    });
  });

  it('lists every bad field, pydantic style, with docs URLs', () => {
    const check = validateModelInput({
      sound_effect_prompt: 'x'.repeat(201),
      background_music_prompt: 7,
      asmr_mode: 'yes',
    });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors.map((e) => [e.loc.join('.'), e.type])).toEqual([
      ['body.video_url', 'missing'],
      ['body.sound_effect_prompt', 'string_too_long'],
      ['body.background_music_prompt', 'string_type'],
      ['body.asmr_mode', 'bool_type'],
    ]);
    expect(check.errors[1]).toMatchObject({
      ctx: { max_length: 200 },
      url: 'https://docs.fal.ai/errors#string_too_long',
    });
  });

  it('accepts exactly 200 characters and rejects non-http URLs and non-objects', () => {
    expect(
      validateModelInput({ video_url: 'https://x.test/a', sound_effect_prompt: 'x'.repeat(200) }).ok,
    ).toBe(true);
    const ftp = validateModelInput({ video_url: 'ftp://x.test/a.mp4' });
    expect(!ftp.ok && ftp.errors[0]?.type).toBe('url_parsing');
    const list = validateModelInput([1]);
    expect(!list.ok && list.errors[0]).toMatchObject({ loc: ['body'], type: 'dict_type' });
  });
});
