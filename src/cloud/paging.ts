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
