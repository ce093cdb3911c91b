import { describe, expect, it } from 'vitest';
import { audioArgs, audioRecipe } from './audio-recipe';

const base = { sound_effect_prompt: 'rain', background_music_prompt: 'piano', asmr_mode: false };

describe('audioRecipe', () => {
  it('is deterministic and depends on every prompt field', () => {
    expect(audioRecipe(base)).toEqual(audioRecipe({ ...base }));
    expect(audioRecipe({ ...base, sound_effect_prompt: 'thunder' })).not.toEqual(audioRecipe(base));
    expect(audioRecipe({ ...base, background_music_prompt: 'drums' })).not.toEqual(audioRecipe(base));
  });

  it('makes asmr mode quieter and brighter', () => {
    const loud = audioRecipe(base);
    const asmr = audioRecipe({ ...base, asmr_mode: true });
    expect(['blue', 'violet']).toContain(asmr.noise.color);
    expect(asmr.noise.amplitude).toBeLessThan(loud.noise.amplitude);
    for (const tone of asmr.tones) expect(tone.volume).toBeLessThan(0.25);
    for (const tone of loud.tones) expect(tone.frequency).toBeGreaterThanOrEqual(110);
  });
});

describe('audioArgs', () => {
  it('renders tones and seeded noise into an MP3 of the exact duration', () => {
    const recipe = audioRecipe(base);
    const args = audioArgs(recipe, 5.0416, '/tmp/out.mp3');
    expect(args.filter((a) => a.startsWith('sine='))).toHaveLength(recipe.tones.length);
    expect(args).toContain(
      `anoisesrc=color=${recipe.noise.color}:seed=${recipe.noise.seed}:amplitude=${recipe.noise.amplitude}:sample_rate=44100:duration=5.042`,
    );
    expect(args.slice(-9)).toEqual([
      '-t',
      '5.042',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-f',
      'mp3',
      '/tmp/out.mp3',
    ]);
    expect(args.join(' ')).toContain('amix=inputs=4');
  });
});
