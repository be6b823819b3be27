import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Documents a newcomer can follow (issue 15): every file they cite is in the repository (or the
// citation is a public URL), and no draft notes are left in them.

const root = path.resolve(import.meta.dirname, "..");
const DOCS = [
  "README.md",
  "infra/README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** Repository paths written in backticks, like `src/config/schema.ts` or `test/emulator/auth.ts`. */
const REPO_PATH =
  /`((?:\.\.\/)*(?:src|test|docs|infra|examples|bin|schema|scripts|bench|functions)\/[A-Za-z0-9_./-]+)`/g;

describe.each(DOCS)("%s", (file) => {
  const text = read(file);

  it("cites no file outside the repository and no private reference by section", () => {
    expect(text).not.toMatch(/shared\/reference|\.\.\/shared\//);
    expect(text).not.toMatch(/contract section|reference §|§\d/i);
    // The soak's `--seed` option and its figures' "seed" key are the one use of the word allowed.
    expect(text).not.toMatch(/(?<![-"])\bseed\b/i);
  });

  it("every repository path it names exists", () => {
    const missing: string[] = [];
    for (const [, cited] of text.matchAll(REPO_PATH)) {
      const clean = cited!.replace(/[.,]$/, "");
      const fromRoot = path.join(root, clean.replace(/^(\.\.\/)+/, ""));
      const fromDoc = path.resolve(path.dirname(path.join(root, file)), clean);
      if (!existsSync(fromRoot) && !existsSync(fromDoc)) missing.push(clean);
    }
    for (const [, link] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(link!)) continue;
      if (!existsSync(path.resolve(path.dirname(path.join(root, file)), link!))) missing.push(link!);
    }
    expect(missing).toEqual([]);
  });

  it("holds no draft notes", () => {
    // Question marks left in specs ("400? use 404", "default 1?"), and notes to self.
    expect(text).not.toMatch(/\b\d+\?\s*(use|\()/);
    expect(text).not.toMatch(/default \S+\?/);
    expect(text).not.toMatch(/\b(TODO|FIXME|XXX|TBD)\b|-like: use|\.\.\. use /);
  });
});

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replaceAll(" ", "-");

/** The anchors of a document's headings (outside code blocks). */
function anchors(file: string): Set<string> {
  const text = read(file).replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe("links between the documents", () => {
  it("every #anchor names a heading of the document it points into", () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const [, target, anchor] of read(file).matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const into =
          target === ""
            ? file
            : path.relative(root, path.resolve(path.dirname(path.join(root, file)), target!));
        if (!existsSync(path.join(root, into)) || !anchors(into).has(anchor!))
          broken.push(`${file}: ${target}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("README links every document under docs/", () => {
    const readme = read("README.md");
    const unlinked = DOCS.filter((f) => f.startsWith("docs/") && !readme.includes(`](${f})`));
    expect(unlinked).toEqual([]);
  });
});

describe("the README's newcomer path", () => {
  // What it does → quick start → the emulator walkthrough → deploying: a newcomer reads these to a
  // deployed example, so they stay short and in that order.
  const lines = read("README.md").split("\n");
  const at = (heading: string) => lines.indexOf(`## ${heading}`);

  it("runs in order, from the top to the end of Deploying, in under 300 lines", () => {
    const path = ["What it does", "Quick start", "Try the CLI against the emulator", "Deploying"].map(at);
    for (const i of path) expect(i).toBeGreaterThan(-1);
    expect([...path].sort((a, b) => a - b)).toEqual(path);
    const deploying = path[3]!;
    const end = lines.findIndex((l, i) => i > deploying && l.startsWith("## "));
    expect(end).toBeGreaterThan(deploying);
    expect(end).toBeLessThan(300);
  });

  it("leaves the whole README far shorter than a reference", () => {
    expect(lines.length).toBeLessThan(700);
  });
});

describe("public URLs in the documents", () => {
  it("are https links to the vendors' and projects' own sites", () => {
    // A URL written as code (an endpoint, a template, a host that is refused) is an example, not a citation.
    const urls = DOCS.flatMap((f) =>
      [...read(f).matchAll(/(?<!`)https?:\/\/[^\s)>`"]+/g)].map((m) => m[0]),
    ).filter((url) => !url.startsWith("http://127.0.0.1"));
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url, url).toMatch(
        /^https:\/\/(support\.huaweicloud\.com|github\.com|registry\.terraform\.io)\//,
      );
    }
  });
});
