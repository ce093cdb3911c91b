/** A page of a list endpoint: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Every item of a cursor-paged list, fetching the next page only when the caller reaches it. */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (!page.next_cursor || page.data.length === 0) return;
    // A cursor that comes back would loop forever; the list ends there.
    if (seen.has(page.next_cursor)) return;
    seen.add(page.next_cursor);
    cursor = page.next_cursor;
  }
}
