// Listings come in pages ({items, next}); `paginate` walks them all, fetching a page as it is needed.
import type { Page } from "../api/schemas.js";

export interface PageOptions {
  /** Items per page (the server's default is 100, its maximum 1000). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/**
 * Every item of a listing, page after page.
 * @example for await (const d of client.datasets.all()) console.log(d.name);
 */
export async function* paginate<T>(fetchPage: (page: PageOptions) => Promise<Page<T>>, limit?: number): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage({ limit, cursor });
    yield* page.items;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
