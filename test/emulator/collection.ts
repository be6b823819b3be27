import { timeMs } from "./ids";

/**
 * Items by id plus a listing sorted by (create time, id) that is rebuilt only after an insert or a
 * delete. Listing and paging thousands of members stays O(page) between writes.
 */
export class SortedCollection<T> {
  private readonly items = new Map<string, T>();
  private sorted: T[] | undefined;

  constructor(
    private readonly idOf: (item: T) => string,
    private readonly timeOf: (item: T) => string,
  ) {}

  get size(): number {
    return this.items.size;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** Adds or replaces an item. Callers must not change an item's id or create time in place. */
  put(item: T): void {
    this.items.set(this.idOf(item), item);
    this.sorted = undefined;
  }

  delete(id: string): boolean {
    const removed = this.items.delete(id);
    if (removed) this.sorted = undefined;
    return removed;
  }

  /** Every item, ordered by create time then id. The array is shared: do not mutate it. */
  list(): readonly T[] {
    if (!this.sorted) {
      const keyed = [...this.items.values()].map((item) => ({
        item,
        time: timeMs(this.timeOf(item)),
        id: this.idOf(item),
      }));
      keyed.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.sorted = keyed.map((k) => k.item);
    }
    return this.sorted;
  }
}
