import type { Service } from "./endpoints";
import { PagingInconsistentError } from "./errors";

/**
 * Whether another page must be read after one that returned `pageLength` items, `readSoFar` in all.
 * The total decides when the API gives one (a server may return fewer items than asked for on every
 * page, e.g. a page-size cap below our limit); otherwise a page shorter than asked for is the last.
 * An empty page always ends the listing, so a wrong total cannot loop forever.
 */
export function hasMorePages(
  readSoFar: number,
  pageLength: number,
  requested: number,
  total: number | undefined,
): boolean {
  if (pageLength === 0) return false;
  if (total !== undefined) return readSoFar < total;
  return pageLength >= requested;
}

/** Without a total to bound it, a listing stops after this many pages (100,000 members or instances). */
export const MAX_PAGES_WITHOUT_TOTAL = 200;

/**
 * Keeps an offset listing honest: the ids read so far, the first page's total and the
 * pages read. `page()` takes each page's ids and total and says whether to read on; it throws
 * PagingInconsistentError on a page that brings no new id, a total that grows, or a page past what the
 * first page's total allows (at the first page's length per page). Memory and calls stay bounded by
 * that first total, whatever the server answers next.
 */
export class PageGuard {
  private readonly seen = new Set<string>();
  private pages = 0;
  private firstTotal: number | undefined;
  private maxPages = MAX_PAGES_WITHOUT_TOTAL;
  /** Items read, the offset of the next page. */
  offset = 0;

  constructor(
    private readonly service: Service,
    private readonly operation: string,
    private readonly requested: number,
  ) {}

  page(ids: readonly string[], total: number | undefined): boolean {
    return this.read(ids, (id) => id, total).more;
  }

  /**
   * Like `page`, for items: also returns those whose id no earlier page (nor this one) had. An item
   * without an id (`idOf` gives undefined) counts towards the page's length and the offset, like any
   * item, but is never returned, and a page of nothing else cannot be told apart from a repeat: only
   * the page bound stops a server that repeats it.
   */
  read<T>(
    items: readonly T[],
    idOf: (item: T) => string | undefined,
    total: number | undefined,
  ): { more: boolean; fresh: T[] } {
    const ids = items.map(idOf);
    this.pages += 1;
    if (this.pages === 1 && total !== undefined) {
      this.firstTotal = total;
      this.maxPages = Math.max(1, Math.ceil(total / Math.max(1, ids.length)));
    }
    const fresh: T[] = [];
    let identified = 0;
    items.forEach((item, i) => {
      const id = ids[i];
      if (id === undefined) return;
      identified += 1;
      if (this.seen.has(id)) return;
      this.seen.add(id);
      fresh.push(item);
    });
    if (identified > 0 && fresh.length === 0) {
      this.fail(`page ${this.pages} (offset ${this.offset}) holds no id that earlier pages did not`);
    }
    if (total !== undefined && this.firstTotal !== undefined && total > this.firstTotal) {
      this.fail(`the total grew from ${this.firstTotal} to ${total} during the listing`);
    }
    this.offset += ids.length;
    const more = hasMorePages(this.offset, ids.length, this.requested, total);
    if (more && this.pages >= this.maxPages) {
      this.fail(
        this.firstTotal === undefined
          ? `${this.pages} pages without a total and still not the last`
          : `the first page said ${this.firstTotal} in all, yet ${this.pages} pages (${this.offset} items) did not reach the end`,
      );
    }
    return { more, fresh };
  }

  private fail(reason: string): never {
    throw new PagingInconsistentError(this.service, this.operation, `the listing does not add up: ${reason}`);
  }
}
