import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Code and docs cite only what a reader can find: a public page, an official SDK file, or a file in
 * this repository. Notes that never left the authors' desks (research notes, seeds, a contract draft)
 * are not cited; what they said is explained in place.
 */
const ROOT = resolve(__dirname, "../..");
const SCANNED = ["src", "test", "bench", "scripts", "functions", "infra", "docs", "README.md"];
const TEXT = /\.(ts|mts|mjs|cjs|js|md|tf|sh)$/;
const SKIPPED = ["node_modules", ".terraform", ".out"];

function files(path: string): string[] {
  if (!statSync(join(ROOT, path)).isDirectory()) return TEXT.test(path) ? [path] : [];
  return readdirSync(join(ROOT, path), { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED.includes(e.name) ? [] : files(join(path, e.name));
    return TEXT.test(e.name) ? [join(path, e.name)] : [];
  });
}

const UNFINDABLE: [RegExp, string][] = [
  [/\bseed[ -]?0\d\d\b/i, "a seed document"],
  [/huawei-apis\.md/, "the research notes"],
  [/CONTRACT\.md|\bcontract §/i, "the contract draft"],
  [/\breference §|shared\/reference/i, "the reference notes"],
];

describe("citations", () => {
  const self = relative(ROOT, __filename);
  const scanned = SCANNED.flatMap(files).filter((f) => f !== self && !f.endsWith("docs.test.ts"));

  it("scans the sources and docs", () => {
    expect(scanned).toContain("src/runtime/invoke.ts");
    expect(scanned).toContain("README.md");
  });

  it("cite no document outside the repository", () => {
    const found: string[] = [];
    for (const file of scanned) {
      const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const [re, what] of UNFINDABLE) if (re.test(line)) found.push(`${file}:${i + 1} cites ${what}`);
      });
    }
    expect(found).toEqual([]);
  });
});
