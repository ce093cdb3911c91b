import { createHash } from 'node:crypto';
import type { KlingInput } from './fal-contract';

export type NoiseColor = 'white' | 'pink' | 'brown' | 'blue' | 'violet' | 'velvet';

/** What the emulated model "hears" in the prompts: a few tones and a coloured noise bed. */
export interface AudioRecipe {
  tones: Array<{ frequency: number; volume: number }>;
  noise: { color: NoiseColor; seed: number; amplitude: number };
}

const DARK: NoiseColor[] = ['pink', 'brown', 'white', 'velvet'];
const BRIGHT: NoiseColor[] = ['blue', 'violet'];

/** Deterministic: the same prompts give the same sound, different prompts a different one. */
export function audioRecipe(
  input: Pick<KlingInput, 'sound_effect_prompt' | 'background_music_prompt' | 'asmr_mode'>,
): AudioRecipe {
  const digest = createHash('sha256')
    .update(`${input.sound_effect_prompt}\n${input.background_music_prompt}\n${input.asmr_mode}`)
    .digest();
  const byte = (i: number) => digest[i] ?? 0;
  const root = 110 + Math.round((byte(0) / 255) * 330); // music: 110–440 Hz
  const ratios = [1.25, 1.333, 1.5, 2];
  const effect = 600 + Math.round((byte(2) / 255) * 1200); // effects: 600–1800 Hz
  const quiet = input.asmr_mode ? 0.4 : 1;
  const colors = input.asmr_mode ? BRIGHT : DARK;
  return {
    tones: [
      { frequency: root, volume: 0.25 * quiet },
      { frequency: Math.round(root * (ratios[byte(1) % ratios.length] ?? 1.5)), volume: 0.15 * quiet },
      { frequency: effect, volume: 0.1 * quiet },
    ],
    noise: {
      color: colors[byte(3) % colors.length] ?? 'pink',
      seed: digest.readUInt32BE(4),
      amplitude: input.asmr_mode ? 0.05 : 0.15,
    },
  };
}

/** ffmpeg arguments that render `recipe` as an MP3 of exactly `seconds`. */
export function audioArgs(recipe: AudioRecipe, seconds: number, outPath: string): string[] {
  const d = seconds.toFixed(3);
  const args: string[] = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  for (const tone of recipe.tones) {
    args.push('-f', 'lavfi', '-i', `sine=frequency=${tone.frequency}:sample_rate=44100:duration=${d}`);
  }
  const { color, seed, amplitude } = recipe.noise;
  args.push(
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=${color}:seed=${seed}:amplitude=${amplitude}:sample_rate=44100:duration=${d}`,
  );
  const labels = recipe.tones.map((tone, i) => `[${i}:a]volume=${tone.volume}[t${i}]`);
  const inputs = recipe.tones.map((_, i) => `[t${i}]`).join('');
  const n = recipe.tones.length;
  const graph = [
    ...labels,
    `${inputs}[${n}:a]amix=inputs=${n + 1}:duration=longest:normalize=0,aformat=channel_layouts=stereo[out]`,
  ].join(';');
  args.push(
    '-filter_complex',
    graph,
    '-map',
    '[out]',
    '-t',
    d,
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    '-f',
    'mp3',
    outPath,
  );
  return args;
}
