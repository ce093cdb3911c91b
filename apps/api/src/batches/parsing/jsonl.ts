import { StringDecoder } from 'node:string_decoder';
import type { ItemSink } from './raw-item';

/**
 * JSON Lines, read line by line as the chunks arrive: LF or CRLF endings, a leading BOM and blank lines
 * are ignored; a line that is not a JSON object becomes an item with an issue, and reading goes on.
 */
export async function parseJsonl(source: AsyncIterable<Buffer>, sink: ItemSink): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNo = 0;
  let index = 0;
  const take = (raw: string) => {
    lineNo += 1;
    const text = (lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r$/, '');
    if (text.trim() === '') return;
    sink(parseLine(text, index++, lineNo));
  };
  for await (const chunk of source) {
    pending += decoder.write(chunk);
    let start = 0;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      take(pending.slice(start, newline));
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') take(pending);
}

function parseLine(text: string, index: number, line: number) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'not valid JSON';
    return { index, line, issues: [{ field: '(line)', rule: 'invalid_json', message }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      index,
      line,
      issues: [{ field: '(line)', rule: 'invalid_type', message: 'must be a JSON object' }],
    };
  }
  return { index, line, value };
}
