import { FoleyApiError, FoleyConnectionError } from '@foley/client';

export const EXIT = {
  ok: 0,
  /** Some items failed, were canceled, or were rejected. */
  itemsFailed: 1,
  usage: 2,
  /** The API could not be reached, or refused the request (its message is printed). */
  api: 3,
} as const;

/** A mistake in how the CLI was called (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof FoleyApiError || error instanceof FoleyConnectionError) return EXIT.api;
  return EXIT.api;
}

/** What is printed for an error that ends the CLI (with the API's validation details). */
export function errorMessage(error: unknown): string {
  if (error instanceof FoleyApiError) {
    const head = `error: the API answered ${error.status} ${error.code}: ${error.message}`;
    const details = Array.isArray(error.details) ? error.details.slice(0, 20).map(detailLine) : [];
    return [head, ...details].join('\n');
  }
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}

/** A validation detail: a field issue, or a rejected batch item with its issues. */
function detailLine(detail: unknown): string {
  const d = detail as { index?: number; line?: number; field?: string; message?: string; errors?: unknown[] };
  if (Array.isArray(d.errors)) {
    const where = d.line !== undefined ? `line ${d.line}` : `item ${d.index}`;
    return `  ${where}: ${d.errors.map((e) => detailLine(e).trim()).join('; ')}`;
  }
  return `  ${d.field ?? ''}: ${d.message ?? JSON.stringify(detail)}`;
}
