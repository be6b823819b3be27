import type * as z from "zod/mini";
import type { ConfigIssue } from "./errors";
import { BindingSchema, BindingsSchema, bindingConflicts, checkFields, HealthCheckSchema } from "./schema";

/** Edit distance with transpositions (optimal string alignment): `weigth` is one edit from `weight`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known field a misspelt key most likely means: close in spelling, ignoring case and `-` for `_`. */
export function nearestField(key: string, fields: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("-", "_");
  let best: { field: string; distance: number } | undefined;
  for (const field of fields) {
    const distance = editDistance(norm(key), norm(field));
    if (distance <= Math.max(2, Math.floor(field.length / 4)) && (!best || distance < best.distance)) {
      best = { field, distance };
    }
  }
  return best?.field;
}

/** The fields an unrecognised key was found among: a binding's, or its health check's. */
function fieldsAt(path: readonly PropertyKey[]): string[] {
  const schema = path.at(-1) === "health_check" ? HealthCheckSchema() : BindingSchema();
  return Object.keys(schema.def.shape);
}

/** `root[0].health_check.port`. */
export function pathUnder(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    root,
  );
}

/** A key worth quoting back: lower-case snake case, like every binding field. Anything else could be a secret. */
const QUOTABLE_KEY = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Zod's message in words an operator acts on. An unknown key names the field it most likely
 * misspells; one that could be a pasted secret is described, never quoted.
 */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code !== "unrecognized_keys") return issue.message;
  const quotable = issue.keys.filter((k) => QUOTABLE_KEY.test(k));
  const hidden = issue.keys.length - quotable.length;
  const message =
    hidden === 0
      ? issue.message
      : `Unrecognized key${issue.keys.length === 1 ? "" : "s"}: ${[...quotable.map((k) => JSON.stringify(k)), `${hidden} not shown (not a field name; it could be a secret)`].join(", ")}`;
  const fields = fieldsAt(issue.path);
  const one = issue.keys.length === 1;
  const hints = quotable.flatMap((key) => {
    const field = nearestField(key, fields);
    if (field === undefined) return [];
    return [one ? `did you mean "${field}"?` : `"${key}": did you mean "${field}"?`];
  });
  if (hints.length === 0) return message;
  return one ? `${message}; ${hints[0]}` : `${message} (${hints.join("; ")})`;
}

const issuesUnder = (root: string, error: z.core.$ZodError, prefix: readonly PropertyKey[] = []) =>
  error.issues.map((issue) => ({
    path: pathUnder(root, [...prefix, ...issue.path]),
    message: messageOf(issue),
  }));

/**
 * Every problem of a bindings list that does not parse, in one pass: each binding's own (each checked
 * alone, so one bad binding hides nothing of the others), then the rules within and across bindings,
 * checked on the fields that are valid; ordered by binding. A single object where the array belongs
 * says so. Paths start at `root` (BINDINGS, or the file the bindings came from).
 */
export function bindingsIssues(json: unknown, root: string): ConfigIssue[] {
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    return [
      {
        path: root,
        message:
          "must be a JSON array of bindings, but it is a single object: put the binding in [ ] ([{...}], or [{...}, {...}] for several)",
      },
    ];
  }
  if (!Array.isArray(json) || json.length === 0) {
    const parsed = BindingsSchema().safeParse(json);
    return parsed.success ? [] : issuesUnder(root, parsed.error);
  }
  const byBinding: ConfigIssue[][] = json.map((raw, i) => {
    const parsed = BindingSchema().safeParse(raw);
    return parsed.success ? [] : issuesUnder(root, parsed.error, [i]);
  });
  for (const c of bindingConflicts(json.map(checkFields))) {
    const path = c.field === undefined ? [c.index] : [c.index, c.field];
    byBinding[c.index]!.push({ path: pathUnder(root, path), message: c.message });
  }
  return byBinding.flat();
}
