import { describe, expect, it } from "vitest";
import { isTransient } from "../../src/cloud/classify";
import { describeError, PagingInconsistentError } from "../../src/cloud/errors";
import { hasMorePages, MAX_PAGES_WITHOUT_TOTAL, PageGuard } from "../../src/cloud/paging";

describe("hasMorePages", () => {
  it.each([
    ["full page, no total", 500, 500, 500, undefined, true],
    ["short page, no total", 520, 20, 500, undefined, false],
    ["short page but the total says more (page-size cap)", 20, 20, 500, 45, true],
    ["the total is reached", 45, 5, 500, 45, false],
    ["empty page ends whatever the total says", 40, 0, 500, 45, false],
  ] as const)("%s", (_, readSoFar, pageLength, requested, total, want) => {
    expect(hasMorePages(readSoFar, pageLength, requested, total)).toBe(want);
  });
});

describe("PageGuard", () => {
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `m-${from + i}`);

  it("reads on to the total, at the first page's length a page (a page-size cap below ours)", () => {
    const guard = new PageGuard("roma", "listMembers", 500);
    expect(guard.page(ids(0, 20), 45)).toBe(true);
    expect(guard.offset).toBe(20);
    expect(guard.page(ids(20, 20), 45)).toBe(true);
    expect(guard.page(ids(40, 5), 45)).toBe(false);
  });

  it("stops on a page that brings no new id (the same page again and again)", () => {
    const guard = new PageGuard("roma", "listMembers", 500);
    expect(guard.page(ids(0, 1), 1_000_000)).toBe(true);
    expect(() => guard.page(ids(0, 1), 1_000_000)).toThrow(PagingInconsistentError);
  });

  it("stops on a total that grows during the listing", () => {
    const guard = new PageGuard("as", "listGroupInstances", 100);
    expect(guard.page(ids(0, 100), 150)).toBe(true);
    expect(() => guard.page(ids(100, 100), 250)).toThrow(/total grew from 150 to 250/);
  });

  it("stops past the pages the first total allows, even with new ids on every page", () => {
    const guard = new PageGuard("as", "listGroupInstances", 100);
    expect(guard.page(ids(0, 10), 25)).toBe(true);
    expect(guard.page(ids(10, 10), 25)).toBe(true);
    // A third page of 10 reaches 30 ≥ 25: done. Had it been short of the total, it would be the last allowed.
    expect(guard.page(ids(20, 5), 25)).toBe(false);
    const shrinking = new PageGuard("as", "listGroupInstances", 100);
    shrinking.page(ids(0, 10), 25);
    shrinking.page(ids(10, 1), 25);
    expect(() => shrinking.page(ids(11, 1), 25)).toThrow(/first page said 25 in all, yet 3 pages/);
  });

  it("without a total, stops after MAX_PAGES_WITHOUT_TOTAL full pages", () => {
    const guard = new PageGuard("roma", "listMembers", 2);
    for (let p = 0; p < MAX_PAGES_WITHOUT_TOTAL - 1; p++)
      expect(guard.page(ids(p * 2, 2), undefined)).toBe(true);
    expect(() => guard.page(ids(10_000, 2), undefined)).toThrow(PagingInconsistentError);
  });

  it("counts items without an id in the offset, returns only those with a new id", () => {
    const guard = new PageGuard("as", "listGroupInstances", 100);
    const items = ["a", undefined, "b", undefined];
    const first = guard.read(items, (id) => id, 20);
    expect(first).toEqual({ more: true, fresh: ["a", "b"] });
    expect(guard.offset).toBe(4);
    // A page of id-less items alone reads on (nothing shows it to be a repeat) …
    expect(guard.read([undefined, undefined], (id) => id, 20).more).toBe(true);
    // … but ids all seen before, beside id-less items, are a repeat.
    expect(() => guard.read(["a", undefined], (id) => id, 20)).toThrow(PagingInconsistentError);
  });

  it("keeps an item that moved across a page boundary once (an insert shifted the offsets)", () => {
    const guard = new PageGuard("roma", "listMembers", 2);
    const item = (id: string) => ({ id });
    expect(guard.read([item("a"), item("b")], (i) => i.id, 4)).toEqual({
      more: true,
      fresh: [item("a"), item("b")],
    });
    expect(guard.read([item("b"), item("c")], (i) => i.id, 4)).toEqual({ more: false, fresh: [item("c")] });
  });

  it("a PAGING_INCONSISTENT error is transient, with its own code", () => {
    const guard = new PageGuard("roma", "listMembers", 500);
    guard.page(ids(0, 1), 9);
    try {
      guard.page(ids(0, 1), 9);
    } catch (err) {
      expect(isTransient(err)).toBe(true);
      expect(describeError(err).code).toBe("PAGING_INCONSISTENT");
      return;
    }
    throw new Error("no error");
  });
});
