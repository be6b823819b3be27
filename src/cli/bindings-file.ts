import type { ConfigIssue } from "../config/errors";
import { parseJsonText } from "../config/json-text";
import { BindingSchema } from "../config/schema";
import { readTextFile } from "./inputs";

/**
 * The bindings list a file holds, in any shape a deployment keeps it in: a JSON array of bindings; a
 * Terraform variables file (`terraform.tfvars.json`, `{"bindings": [...], ...}`), read as the module
 * reads it (a field set to null is left out, so its default applies); the output of `terraform output
 * -json` (`{"bindings_json": {"value": "<BINDINGS>"}, ...}`), the BINDINGS the module deployed; or that
 * one output alone (`terraform output -json bindings_json`, a JSON string).
 */
export interface BindingsFile {
  /** Where the list is, as problems name it: `bindings.json`, or `terraform.tfvars.json: bindings`. */
  root: string;
  /** The list as BINDINGS would hold it; undefined when the file holds none. */
  text: string | undefined;
  /** Why the file holds no list: not JSON, or no bindings in it. */
  issues: ConfigIssue[];
}

/** The module's output that holds the BINDINGS it deployed (infra/modules/channel-autoscaler/outputs.tf). */
export const BINDINGS_OUTPUT = "bindings_json";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Null fields left out, at the top and in nested objects (health_check, replace_unhealthy), as the module does. */
function withoutNulls(binding: unknown): unknown {
  if (!isRecord(binding)) return binding;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(binding)) {
    if (v === null) continue;
    out[k] = isRecord(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null)) : v;
  }
  return out;
}

export function readBindingsFile(file: string, cwd: string): BindingsFile {
  const parsed = parseJsonText(readTextFile(file, cwd, "bindings file"));
  if (!parsed.ok)
    return {
      root: file,
      text: undefined,
      issues: [{ path: file, message: `is not valid JSON: ${parsed.reason}` }],
    };
  const value = parsed.value;
  const holds = (root: string, text: string): BindingsFile => ({ root, text, issues: [] });
  const none = (root: string, message: string): BindingsFile => ({
    root,
    text: undefined,
    issues: [{ path: root, message }],
  });
  if (typeof value === "string") return holds(file, value);
  if (!isRecord(value)) return holds(file, JSON.stringify(value));
  if (Object.hasOwn(value, "bindings")) {
    const root = `${file}: bindings`;
    return Array.isArray(value.bindings)
      ? holds(root, JSON.stringify(value.bindings.map(withoutNulls)))
      : none(root, "must be a list of bindings");
  }
  const output = value[BINDINGS_OUTPUT];
  if (isRecord(output) && Object.hasOwn(output, "value")) {
    const root = `${file}: ${BINDINGS_OUTPUT}`;
    if (typeof output.value === "string") return holds(root, output.value);
    return none(
      root,
      "holds no BINDINGS: the deployment lists no bindings (bindings_from_tags supplies them all); validate the tagged groups with BINDINGS_FROM_TAGS=true instead",
    );
  }
  // One binding without its [ ]: the bindings check says so.
  if (Object.keys(value).some((k) => Object.hasOwn(BindingSchema().def.shape, k))) {
    return holds(file, JSON.stringify(value));
  }
  return none(
    file,
    `holds no bindings: expected a JSON array of bindings, a Terraform variables file with "bindings": [...], or what \`terraform output -json\` prints (with ${BINDINGS_OUTPUT})`,
  );
}
