import type * as z from "zod/mini";
import type { ConfigIssue } from "./errors";
import { BindingSchema, HealthCheckSchema } from "./schema";

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

/**
 * Bindings issues in words an operator acts on: an unknown key names the field it most likely
 * misspells, and a single object where the array belongs says so.
 */
export function explainBindingIssues(
  json: unknown,
  error: z.core.$ZodError,
  toIssues: (error: z.core.$ZodError) => ConfigIssue[],
  root: string,
): ConfigIssue[] {
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    return [
      {
        path: root,
        message:
          "must be a JSON array of bindings, but it is a single object: put the binding in [ ] ([{...}], or [{...}, {...}] for several)",
      },
    ];
  }
  const issues = toIssues(error);
  return error.issues.map((issue, i) => {
    if (issue.code !== "unrecognized_keys") return issues[i]!;
    const fields = fieldsAt(issue.path);
    const one = issue.keys.length === 1;
    const hints = issue.keys.flatMap((key) => {
      const field = nearestField(key, fields);
      if (field === undefined) return [];
      return [one ? `did you mean "${field}"?` : `"${key}": did you mean "${field}"?`];
    });
    if (hints.length === 0) return issues[i]!;
    const hint = one ? `; ${hints[0]}` : ` (${hints.join("; ")})`;
    return { ...issues[i]!, message: `${issues[i]!.message}${hint}` };
  });
}
