/**
 * The slice of lodash that sdk-core's AKSKSigner uses: `sortBy(array, iteratee)`, a stable ascending
 * sort by the iteratee's value. Aliased in place of lodash in the function bundles only
 * (esbuild.config.mjs): the full library is 72 KB of bundle and cold start. A test proves it sorts
 * exactly like lodash.
 */
export function sortBy<T>(items: readonly T[], iteratee: (item: T) => string | number): T[] {
  const keyed = items.map((item, index) => ({ item, index, key: iteratee(item) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index));
  return keyed.map((k) => k.item);
}
