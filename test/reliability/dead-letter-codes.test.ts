import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hintFor } from "../../src/cloud/error-codes";
import { DEAD_LETTER_CODES, deadLetterHint } from "../../src/reliability/dead-letter-codes";

/** README's troubleshooting table, one row per line. */
function troubleshootingRows(): string[] {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const start = readme.indexOf("## Troubleshooting");
  return readme
    .slice(start, readme.indexOf("\n## ", start + 1))
    .split("\n")
    .filter((line) => line.startsWith("| `"));
}

describe("the dead-letter codes this code raises itself", () => {
  it("each has a row of its own in README's troubleshooting table, saying what to do", () => {
    const rows = troubleshootingRows();
    for (const code of Object.keys(DEAD_LETTER_CODES)) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      const todo = row!.slice(1, -1).split(" | ")[3] ?? "";
      expect(todo.length, code).toBeGreaterThan(20);
    }
  });

  it("gives the CLI's fix: line for its own codes and for the cloud's, and nothing for a key of no table", () => {
    const hint = (code: string, message = "") => deadLetterHint({ code, message });
    expect(hint("MEMBER_GROUP_NOT_MANAGED")).toMatch(/managed-by=channel-autoscaler/);
    expect(hint("TAG_BINDING_NOT_ALLOWED")).toMatch(/TAG_BINDINGS_ALLOWED/);
    expect(hint("APIG.3110")).toBe(hintFor("APIG.3110"));
    expect(hint("NETWORK_ERROR", "connect ECONNREFUSED 127.0.0.1:4010")).toMatch(/is the emulator running/);
    for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty"])
      expect(hint(key), key).toBeUndefined();
  });
});
