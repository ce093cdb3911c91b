/**
 * `inline; filename="…"` (RFC 6266) for a file name that may come from fal or a user: the quoted ASCII
 * fallback can never break out of its quotes or the header, and a non-ASCII name is also sent as
 * RFC 5987 `filename*` so browsers show it as written.
 */
export function contentDisposition(fileName: string, type: 'inline' | 'attachment' = 'inline'): string {
  // Control characters (CR/LF would split the header) are dropped outright.
  const name = stripControl(fileName).trim() || 'file';
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  if (fallback === name) return `${type}; filename="${name}"`;
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}

function stripControl(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f)) out += ch;
  }
  return out;
}

/** encodeURIComponent leaves `'()*!` alone; RFC 5987 attr-char does not allow them. */
function encodeRfc5987(text: string): string {
  return encodeURIComponent(text).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
