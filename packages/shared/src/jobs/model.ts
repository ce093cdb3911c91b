import { z } from 'zod';

/** The hosted model Foley wraps, and the rules fal enforces on its input. */
export const MODEL_ENDPOINT = 'fal-ai/kling-video/video-to-audio';

export const MODEL_LIMITS = {
  promptMaxChars: 200,
  /** "at most 100 MB": decimal megabytes, the stricter reading, so nothing fal might refuse is sent. */
  videoMaxBytes: 100_000_000,
  videoMinSeconds: 3,
  videoMaxSeconds: 20,
} as const;

export const MODEL_DEFAULTS = {
  sound_effect_prompt: 'Car tires screech as they accelerate in a drag race',
  background_music_prompt: 'intense car race',
  asmr_mode: false,
} as const;

export const VIDEO_CONTENT_TYPES = ['video/mp4', 'video/quicktime'] as const;

/** An absolute http(s) URL. SSRF rules (which hosts) are applied separately by the URL guard. */
export const httpUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http:// or https:// URL' },
  );

const prompt = z.string().max(MODEL_LIMITS.promptMaxChars, {
  message: `must be at most ${MODEL_LIMITS.promptMaxChars} characters`,
});

/** Exactly the endpoint's input fields; unknown fields are rejected by name. */
export const modelInputSchema = z.strictObject({
  video_url: httpUrl,
  sound_effect_prompt: prompt.optional(),
  background_music_prompt: prompt.optional(),
  asmr_mode: z.boolean().optional(),
});
export type ModelInputRequest = z.infer<typeof modelInputSchema>;

/** What Foley sends to fal: every field explicit, fal's defaults filled in. */
export const resolvedModelInputSchema = z.object({
  video_url: z.string(),
  sound_effect_prompt: z.string(),
  background_music_prompt: z.string(),
  asmr_mode: z.boolean(),
});
export type ModelInput = z.infer<typeof resolvedModelInputSchema>;

export function withModelDefaults(input: ModelInputRequest): ModelInput {
  return {
    video_url: input.video_url,
    sound_effect_prompt: input.sound_effect_prompt ?? MODEL_DEFAULTS.sound_effect_prompt,
    background_music_prompt: input.background_music_prompt ?? MODEL_DEFAULTS.background_music_prompt,
    asmr_mode: input.asmr_mode ?? MODEL_DEFAULTS.asmr_mode,
  };
}

/** A fal `File`. */
export const falFileSchema = z.object({
  url: z.string(),
  content_type: z.string().optional(),
  file_name: z.string().optional(),
  file_size: z.number().optional(),
});
export type FalFile = z.infer<typeof falFileSchema>;

export const modelOutputSchema = z.object({ video: falFileSchema, audio: falFileSchema });
export type ModelOutput = z.infer<typeof modelOutputSchema>;
