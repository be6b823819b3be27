import { describe, expect, it } from "vitest";
import { hasMorePages } from "../../src/cloud/paging";

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
