/**
 * Evaluates the module's own expressions with Terraform itself, offline: `terraform console` in a
 * scratch directory that holds the module's variables file verbatim and the locals an expression
 * needs, rebuilt from their parsed form. No provider is involved (the directory declares no
 * resource), so nothing is downloaded; what a resource, `each` or `self` would supply is given as a
 * textual override.
 *
 * Terraform may be absent (CI installs only npm packages): `TERRAFORM` is false then, and the tests
 * that need it are skipped while the parse-only checks still run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HclObject, interpolations, references, type TfModule } from "./check-terraform";

const ENV = {
  ...process.env,
  TF_CLI_CONFIG_FILE: "/dev/null",
  TF_IN_AUTOMATION: "1",
  CHECKPOINT_DISABLE: "1",
  NO_COLOR: "1",
};

export const TERRAFORM = spawnSync("terraform", ["version"], { env: ENV, encoding: "utf8" }).status === 0;

/** Where the first interpolation of a string ends, or -1. */
function firstInterpolationEnd(text: string): number {
  if (!text.startsWith("${")) return -1;
  let depth = 1;
  let j = 2;
  for (; j < text.length && depth > 0; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}") depth--;
  }
  return depth === 0 ? j : -1;
}

function escapeLiteral(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/%\{/g, "%%{");
}

/** A string as hcl2json gives it (`${expr}`, a template, or a literal) written back as HCL. */
function stringToHcl(text: string): string {
  if (firstInterpolationEnd(text) === text.length) return text.slice(2, -1);
  let out = "";
  let i = 0;
  for (const expression of interpolations(text)) {
    const at = text.indexOf(`\${${expression}}`, i);
    out += `${escapeLiteral(text.slice(i, at))}\${${expression}}`;
    i = at + expression.length + 3;
  }
  return `"${out}${escapeLiteral(text.slice(i))}"`;
}

/** A parsed value written back as an HCL expression, one element per line (expressions may hold `#` comments). */
export function toHcl(value: unknown): string {
  if (typeof value === "string") return stringToHcl(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[\n${value.map(toHcl).join(",\n")}\n]`;
  const entries = Object.entries(value as HclObject);
  return `{\n${entries.map(([k, v]) => `${JSON.stringify(k)} = ${toHcl(v)}`).join("\n")}\n}`;
}

function moduleLocals(module: TfModule): Map<string, unknown> {
  const locals = new Map<string, unknown>();
  for (const file of module.files) {
    const blocks = file.json.locals;
    if (!Array.isArray(blocks)) continue;
    for (const block of blocks)
      for (const [name, value] of Object.entries(block as HclObject)) locals.set(name, value);
  }
  return locals;
}

function applyOverrides(text: string, overrides: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [reference, replacement] of Object.entries(overrides)) {
    const escaped = reference.replace(/[.[\]"*+?^$(){}|\\]/g, "\\$&");
    out = out.replace(new RegExp(`(?<![\\w.])${escaped}(?![\\w-])`, "g"), replacement);
  }
  return out;
}

/** The locals `expression` needs, directly or through other locals. */
function neededLocals(expression: string, locals: Map<string, unknown>): string[] {
  const needed = new Set<string>();
  const visit = (text: string) => {
    for (const name of references(`\${${text}}`, "local")) {
      if (needed.has(name) || !locals.has(name)) continue;
      needed.add(name);
      visit(toHcl(locals.get(name)));
    }
  };
  visit(expression);
  return [...needed];
}

export interface Evaluation {
  /** The expression's value (parsed from its JSON), or undefined when Terraform reported an error. */
  value: unknown;
  /** Terraform's error messages (variable validations included), one per `Error:` block. */
  errors: string[];
}

export interface EvaluateOptions {
  /** The module's variables file, verbatim (hcl2json drops nothing Terraform needs, but it is simpler to copy). */
  variablesSource: string;
  /** Variable values, written as terraform.tfvars.json. */
  vars: Record<string, unknown>;
  /** Textual replacements for what only a plan would know, e.g. `{ "self.urn": '"urn:fss:..."' }`. */
  overrides?: Readonly<Record<string, string>>;
}

/**
 * Evaluates one HCL expression (as written in the module, `${...}` optional) against the module's
 * variables and locals. Errors (a refused variable, a failing function) come back in `errors`.
 */
export function evaluate(module: TfModule, expression: string, options: EvaluateOptions): Evaluation {
  const raw = expression.startsWith("${") ? stringToHcl(expression) : expression;
  const overrides = options.overrides ?? {};
  const locals = moduleLocals(module);
  const body = neededLocals(applyOverrides(raw, overrides), locals)
    .map((name) => `  ${name} = ${applyOverrides(toHcl(locals.get(name)), overrides)}`)
    .join("\n");
  const dir = mkdtempSync(join(tmpdir(), "tf-eval-"));
  try {
    writeFileSync(join(dir, "variables.tf"), options.variablesSource);
    // The expression is a local too, so the console reads one short line whatever it spans.
    writeFileSync(
      join(dir, "locals.tf"),
      `locals {\n${body}\n  evaluated_expression = ${applyOverrides(raw, overrides)}\n}\n`,
    );
    writeFileSync(join(dir, "terraform.tfvars.json"), JSON.stringify(options.vars));
    const result = spawnSync("terraform", ["console", "-no-color"], {
      cwd: dir,
      env: ENV,
      input: "jsonencode(local.evaluated_expression)\n",
      encoding: "utf8",
    });
    const errors = [...result.stderr.matchAll(/Error: ([^\n]+)\n([\s\S]*?)(?=\nError: |\s*$)/g)].map(
      (m) => `${m[1]}: ${(m[2] ?? "").replace(/\s+/g, " ").trim()}`,
    );
    const printed = result.stdout
      .split("\n")
      .filter((line) => line.startsWith('"'))
      .pop();
    if (errors.length > 0 || printed === undefined) {
      return { value: undefined, errors: errors.length > 0 ? errors : [`${result.stdout}${result.stderr}`] };
    }
    return { value: JSON.parse(JSON.parse(printed) as string), errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Terraform version, for a test title. */
export function terraformVersion(): string {
  return TERRAFORM
    ? (execFileSync("terraform", ["version"], { env: ENV, encoding: "utf8" }).split("\n")[0] ?? "")
    : "absent";
}
