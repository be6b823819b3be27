import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The import graph of src/: every `import … from`, `export … from` and side-effect `import "…"` of a
 * relative path, type-only imports included. A type-only import still couples two modules (neither can
 * be read, moved or changed without the other), so it counts as an edge like any other.
 */
const SRC = resolve(__dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const SPECIFIER = /(?:^|[;\n])\s*(?:import|export)\b\s*(?:[^;"']*?\bfrom\s*)?["']([^"']+)["']/g;

function resolveImport(from: string, specifier: string, files: Set<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined; // a package
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets = new Set<string>();
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolveImport(file, match[1] ?? "", known);
      if (target) targets.add(target);
    }
    graph.set(name(file), [...targets].map(name).sort());
  }
  return graph;
}

const name = (file: string) => relative(SRC, file).replaceAll("\\", "/");

/** Every import circle, each once, as `a.ts → b.ts → a.ts` (Tarjan's strongly connected components). */
function importCycles(graph: Map<string, string[]>): string[] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v))
        cycles.push(describeCycle(graph, component));
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return cycles;
}

/** One concrete path around a strongly connected component, from its first file back to it. */
function describeCycle(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? "";
  // Breadth-first from start's successors back to start, within the component: the shortest circle.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w) || previous.has(w)) continue;
      previous.set(w, v);
      if (w === start) queue.length = 0;
      else queue.push(w);
    }
  }
  const path = [start];
  for (let v = previous.get(start); v !== undefined && v !== start; v = previous.get(v)) path.unshift(v);
  path.unshift(start);
  const others = component.filter((file) => !path.includes(file)).sort();
  return others.length === 0
    ? path.join(" → ")
    : `${path.join(" → ")} (tangled with it: ${others.join(", ")})`;
}

describe("import graph of src/", () => {
  const graph = importGraph();

  it("reads every module and finds its imports", () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get("runtime/invoke.ts")).toContain("sync/reconcile.ts");
    expect(graph.get("config/schema.ts")).toContain("config/zod.ts"); // a side-effect import
  });

  it("has no import circle, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("keeps config a leaf: config/ imports only config/ (and packages)", () => {
    const upward = [...graph]
      .filter(([file]) => file.startsWith("config/"))
      .flatMap(([file, targets]) =>
        targets.filter((t) => !t.startsWith("config/")).map((t) => `${file} → ${t}`),
      );
    expect(upward).toEqual([]);
  });

  it("names the files of a circle when there is one", () => {
    const circle = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
    ]);
    expect(importCycles(circle)).toEqual(["a.ts → b.ts → c.ts → a.ts"]);
    expect(importCycles(new Map([["a.ts", ["a.ts"]]]))).toEqual(["a.ts → a.ts"]);
  });
});
