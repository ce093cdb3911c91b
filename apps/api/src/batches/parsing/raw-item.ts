import type { FieldIssue } from '../../http/validation';

/** One item as read from a batch body, before validation: a value, or why it could not be read. */
export interface RawItem {
  /** Position among the body's items (0-based); becomes the job's `batch_index`. */
  index: number;
  /** 1-based line in a JSONL or CSV body (where the item ends, for a quoted multi-line CSV row). */
  line?: number;
  value?: unknown;
  issues?: FieldIssue[];
}

/** What a parser hands on for every item as soon as it is read; it may throw to stop reading. */
export type ItemSink = (item: RawItem) => void;

/** Returned to the client for every item that does not run. */
export interface RejectedItem {
  index: number;
  line?: number;
  errors: FieldIssue[];
}
