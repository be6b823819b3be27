import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The import graph of src/: every `import … from`, `export … from` and side-effect `import "…"` of a
 * relative path, type-only imports included. A type-only import still couples two modules (neither can
 * be read, moved or changed without the other), so it counts as an edge like any other; it is marked,
 * because the pure folder may have those and no other from outside itself.
 */
const SRC = resolve(__dirname, "../../src");

/**
 * The layers of src/, lowest first. A folder may import from itself and from the folders of the layers
 * before its own: never from its own layer's other folders, never from a later layer.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["config"],
  ["observability"],
  ["cloud"],
  ["events", "discovery", "reliability"],
  ["sync"],
  ["runtime"],
  ["cli"],
];

/**
 * The pure folder: planning and decisions, no I/O. Any folder may import it (configuration uses its
 * identity keys, so it sits beneath every layer), and its own imports from outside itself are types only.
 */
const PURE = "plan";

interface Edge {
  target: string;
  /** `import type` / `export type`, or an import whose every name is marked `type`. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const SPECIFIER = /(?:^|[;\n])\s*(?:import|export)\b\s*([^;"']*?\bfrom\s*)?["']([^"']+)["']/g;

/** Whether an import's clause (`type { A }`, `{ type A, type B }`, `{ A }`, `* as a`) brings in types only. */
function isTypeOnly(clause: string | undefined): boolean {
  if (clause === undefined) return false; // a side-effect import
  const names = clause.replace(/\bfrom\s*$/, "").trim();
  if (/^type\b/.test(names)) return true;
  const braces = /^\{([^}]*)\}$/.exec(names);
  if (!braces) return false;
  const specifiers = braces[1]!
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  return specifiers.length > 0 && specifiers.every((x) => /^type\s/.test(x));
}

function resolveImport(from: string, specifier: string, files: Set<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined; // a package
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

function importEdges(): Map<string, Edge[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const edges = new Map<string, Edge[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const byTarget = new Map<string, boolean>();
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolveImport(file, match[2] ?? "", known);
      if (!target) continue;
      // A module imported for a value anywhere in the file is a value import.
      byTarget.set(name(target), (byTarget.get(name(target)) ?? true) && isTypeOnly(match[1]));
    }
    edges.set(
      name(file),
      [...byTarget]
        .map(([target, typeOnly]) => ({ target, typeOnly }))
        .sort((a, b) => (a.target < b.target ? -1 : 1)),
    );
  }
  return edges;
}

const name = (file: string) => relative(SRC, file).replaceAll("\\", "/");

const folderOf = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : "");

const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

/** The imports that break the layer order, as `a/x.ts → b/y.ts`. */
function layerViolations(edges: ReadonlyMap<string, readonly Edge[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of edges) {
    const from = folderOf(file);
    for (const { target, typeOnly } of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      const allowed =
        from === PURE ? typeOnly : to === PURE || (layerOf(to) >= 0 && layerOf(to) < layerOf(from));
      if (!allowed) out.push(`${file} → ${target}${from === PURE ? " (a value import)" : ""}`);
    }
  }
  return out;
}

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
  const edges = importEdges();
  const graph = new Map([...edges].map(([file, targets]) => [file, targets.map((t) => t.target)]));

  it("reads every module and finds its imports", () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get("runtime/invoke.ts")).toContain("sync/reconcile.ts");
    expect(graph.get("config/schema.ts")).toContain("config/zod.ts"); // a side-effect import
    expect(edges.get("plan/decide-hook.ts")).toContainEqual({
      target: "cloud/autoscaling.ts",
      typeOnly: true,
    });
    expect(edges.get("sync/reconcile.ts")).toContainEqual({
      target: "plan/plan-members.ts",
      typeOnly: false,
    });
  });

  it("has no import circle, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("places every folder of src/ in a layer, or is the pure folder", () => {
    const folders = [...new Set([...edges.keys()].map(folderOf))];
    expect(folders.filter((f) => f !== PURE && layerOf(f) < 0)).toEqual([]);
  });

  it("keeps the layer order config ← observability ← cloud ← events/discovery/reliability ← sync ← runtime ← cli", () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it("keeps src/plan/ pure: from outside itself it imports types only", () => {
    const values = [...edges]
      .filter(([file]) => folderOf(file) === PURE)
      .flatMap(([file, targets]) =>
        targets.filter((t) => folderOf(t.target) !== PURE && !t.typeOnly).map((t) => `${file} → ${t.target}`),
      );
    expect(values).toEqual([]);
  });

  it("names the imports that break the layers", () => {
    const edge = (target: string, typeOnly = false): Edge => ({ target, typeOnly });
    const broken = new Map<string, Edge[]>([
      [
        "cloud/http.ts",
        [edge("reliability/dead-letter.ts"), edge("config/keys.ts"), edge("plan/identity.ts")],
      ],
      ["events/read.ts", [edge("discovery/merge.ts", true)]],
      ["plan/targets.ts", [edge("config/schema.ts", true), edge("cloud/gateway.ts")]],
      ["cli/program.ts", [edge("runtime/invoke.ts"), edge("cli/errors.ts")]],
    ]);
    expect(layerViolations(broken)).toEqual([
      "cloud/http.ts → reliability/dead-letter.ts",
      "events/read.ts → discovery/merge.ts",
      "plan/targets.ts → cloud/gateway.ts (a value import)",
    ]);
  });

  it("tells type-only imports from value imports", () => {
    expect(isTypeOnly("type { A } from")).toBe(true);
    expect(isTypeOnly("{ type A, type B } from")).toBe(true);
    expect(isTypeOnly("{ type A, B } from")).toBe(false);
    expect(isTypeOnly("* as z from")).toBe(false);
    expect(isTypeOnly(undefined)).toBe(false);
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
