import { type FalErrorDetail, fieldError } from './errors';
import { INPUT_DEFAULTS, INPUT_LIMITS, type KlingInput } from './fal-contract';

export type InputCheck = { ok: true; value: KlingInput } | { ok: false; errors: FalErrorDetail[] };

const PROMPTS = ['sound_effect_prompt', 'background_music_prompt'] as const;

/**
 * The endpoint's own schema check, pydantic-style as fal reports it: every bad field listed, unknown
 * fields ignored, defaults filled in. Runs when the request starts, not at submit.
 */
export function validateModelInput(input: unknown): InputCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [fieldError(['body'], 'dict_type', 'Input should be a valid dictionary')] };
  }
  const body = input as Record<string, unknown>;
  const errors: FalErrorDetail[] = [];

  const videoUrl = body.video_url;
  if (videoUrl === undefined) {
    errors.push(fieldError(['body', 'video_url'], 'missing', 'Field required'));
  } else if (typeof videoUrl !== 'string') {
    errors.push(
      fieldError(['body', 'video_url'], 'string_type', 'Input should be a valid string', { input: videoUrl }),
    );
  } else if (!isHttpUrl(videoUrl)) {
    errors.push(
      fieldError(['body', 'video_url'], 'url_parsing', 'Input should be a valid http or https URL', {
        input: videoUrl,
      }),
    );
  }

  for (const name of PROMPTS) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      errors.push(
        fieldError(['body', name], 'string_type', 'Input should be a valid string', { input: value }),
      );
    } else if (value.length > INPUT_LIMITS.promptMaxChars) {
      errors.push(
        fieldError(
          ['body', name],
          'string_too_long',
          `String should have at most ${INPUT_LIMITS.promptMaxChars} characters`,
          {
            ctx: { max_length: INPUT_LIMITS.promptMaxChars },
            input: value,
          },
        ),
      );
    }
  }

  if (body.asmr_mode !== undefined && typeof body.asmr_mode !== 'boolean') {
    errors.push(
      fieldError(['body', 'asmr_mode'], 'bool_type', 'Input should be a valid boolean', {
        input: body.asmr_mode,
      }),
    );
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      video_url: videoUrl as string,
      sound_effect_prompt:
        (body.sound_effect_prompt as string | undefined) ?? INPUT_DEFAULTS.sound_effect_prompt,
      background_music_prompt:
        (body.background_music_prompt as string | undefined) ?? INPUT_DEFAULTS.background_music_prompt,
      asmr_mode: (body.asmr_mode as boolean | undefined) ?? INPUT_DEFAULTS.asmr_mode,
    },
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
