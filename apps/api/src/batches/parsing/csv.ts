import { ApiError } from '@foley/shared/errors';
import { parse } from 'csv-parse';
import type { FieldIssue } from '../../http/validation';
import type { ItemSink } from './raw-item';

/** Columns a CSV batch may have: the model input plus per-item metadata (a JSON object). */
export const CSV_COLUMNS = [
  'video_url',
  'sound_effect_prompt',
  'background_music_prompt',
  'asmr_mode',
  'metadata',
] as const;
type Column = (typeof CSV_COLUMNS)[number];

const BOOLEANS: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
};

/**
 * CSV with a header row naming the input fields, parsed as the chunks arrive (csv-parse: BOM, quotes,
 * CRLF, blank lines skipped). A row that cannot be parsed becomes an item with an issue; a bad header
 * (unknown, duplicate or missing columns) rejects the whole body, since it would reject every row.
 */
export async function parseCsv(source: AsyncIterable<Buffer>, sink: ItemSink): Promise<void> {
  let header: Column[] | undefined;
  let index = 0;
  let lastSkippedLine = -1;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    on_record: (record: string[], context) => {
      if (!header) header = checkHeader(record);
      else sink(toItem(header, record, index++, context.lines));
      return null;
    },
    on_skip: (error) => {
      const line = Number(error?.lines ?? -1);
      if (line === lastSkippedLine) return; // one report per broken row, not one per character
      lastSkippedLine = line;
      const message = error?.message ?? 'the row could not be parsed';
      sink({ index: index++, line, issues: [{ field: '(row)', rule: 'invalid_csv', message }] });
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.once('error', reject);
    parser.once('end', resolve);
  });
  done.catch(() => {}); // awaited below; avoids an unhandled rejection while still writing
  parser.resume();
  try {
    for await (const chunk of source) {
      await new Promise<void>((resolve, reject) => parser.write(chunk, (e) => (e ? reject(e) : resolve())));
    }
    parser.end();
    await done;
  } catch (error) {
    parser.destroy();
    throw error;
  }
  if (!header) throw new ApiError('validation_error', 'the CSV body has no header row');
}

function checkHeader(record: string[]): Column[] {
  const names = record.map((name) => name.trim());
  const issues: FieldIssue[] = [];
  names.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      issues.push({
        field: `(header).${name || i}`,
        rule: 'unknown_field',
        message: `unknown column "${name}"`,
      });
    } else if (names.indexOf(name) !== i) {
      issues.push({
        field: `(header).${name}`,
        rule: 'duplicate',
        message: `column "${name}" appears twice`,
      });
    }
  });
  if (!names.includes('video_url')) {
    issues.push({ field: '(header).video_url', rule: 'required', message: 'the header must name video_url' });
  }
  if (issues.length) {
    const first = issues[0] as FieldIssue;
    throw new ApiError('validation_error', `CSV header: ${first.message}`, issues);
  }
  return names as Column[];
}

function toItem(header: Column[], record: string[], index: number, line: number) {
  if (record.length > header.length) {
    const message = `has ${record.length} fields, the header names ${header.length}`;
    return { index, line, issues: [{ field: '(row)', rule: 'column_count', message }] };
  }
  const value: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const cell = record[i]?.trim();
    if (cell === undefined || cell === '') return; // empty cell: the field is not set
    value[column] = cellValue(column, cell);
  });
  return { index, line, value };
}

/** Types CSV text for the item schema; text that does not convert is passed on and the schema names it. */
function cellValue(column: Column, cell: string): unknown {
  if (column === 'asmr_mode') return BOOLEANS[cell.toLowerCase()] ?? cell;
  if (column === 'metadata') {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}
