/**
 * Offline checks of Terraform configuration, on the JSON that `@cdktf/hcl2json` makes of each
 * `.tf` file. Pure: the caller reads and parses the files; every check returns findings (empty
 * when the configuration is fine), so a test can run the same checks on a doctored copy and
 * prove they fail.
 *
 * hcl2json shape: blocks are arrays of objects (`resource.<type>.<name>[0]`, `on_failure[0]`),
 * attributes with an object value are plain objects, and expressions are strings wrapped in
 * `${...}`.
 */
import { posix } from "node:path";

export type HclObject = { [key: string]: unknown };

/** One parsed `.tf` file; `path` is relative to the repository root and uses `/`. */
export interface TfFile {
  path: string;
  json: HclObject;
}

/** The `.tf` files of one directory, i.e. one Terraform module. */
export interface TfModule {
  dir: string;
  files: TfFile[];
}

/** A nested block's arguments, or its arguments and nested blocks of its own. */
export type BlockSchema =
  | readonly string[]
  | { args: readonly string[]; blocks?: Readonly<Record<string, BlockSchema>> };

/** Documented arguments of one resource type: plain arguments, and nested blocks with theirs. */
export interface ResourceSchema {
  args: readonly string[];
  blocks?: Readonly<Record<string, BlockSchema>>;
  /**
   * The resource lives in a region (the provider documents a `region` argument): the module must
   * set it from `var.region`, or the provider's region decides where it goes.
   */
  regional?: boolean;
}

export interface Allowlist {
  resources: Readonly<Record<string, ResourceSchema>>;
  /** Data sources and their documented arguments. */
  dataSources: Readonly<Record<string, readonly string[]>>;
  providers: Readonly<Record<string, readonly string[]>>;
}

export interface Finding {
  file: string;
  message: string;
}

export interface EnvironmentRules {
  /** Keys a function may be given (DEPLOYED_ENV_KEYS). */
  allowed: readonly string[];
  /** Keys every function must be given. */
  required: readonly string[];
  /** Resource types that are functions, with the arguments that hold their environment. */
  functionTypes: Readonly<Record<string, readonly string[]>>;
}

const RESOURCE_META_ARGUMENTS = ["count", "for_each", "depends_on", "provider", "lifecycle"];
const LIFECYCLE_ARGUMENTS = [
  "create_before_destroy",
  "prevent_destroy",
  "ignore_changes",
  "replace_triggered_by",
  "precondition",
  "postcondition",
];
const MODULE_META_ARGUMENTS = ["source", "version", "count", "for_each", "depends_on", "providers"];

function isObject(value: unknown): value is HclObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A block written once or more: hcl2json gives an array of bodies. */
function bodies(value: unknown): HclObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** `kind` blocks with two labels (`resource "type" "name"`) of one file. */
function labelledBlocks(json: HclObject, kind: string): { type: string; name: string; body: HclObject }[] {
  const byType = json[kind];
  if (!isObject(byType)) return [];
  return Object.entries(byType).flatMap(([type, byName]) =>
    isObject(byName)
      ? Object.entries(byName).flatMap(([name, list]) => bodies(list).map((body) => ({ type, name, body })))
      : [],
  );
}

/** `kind` blocks with one label (`variable "x"`, `module "x"`, `provider "x"`) of one file. */
function namedBlocks(json: HclObject, kind: string): { name: string; body: HclObject }[] {
  const byName = json[kind];
  if (!isObject(byName)) return [];
  return Object.entries(byName).flatMap(([name, list]) => bodies(list).map((body) => ({ name, body })));
}

/**
 * The `${...}` interpolations of a string, outer ones only (nested templates stay inside their
 * outer expression). Braces are counted without regard to quoting, which holds as long as string
 * literals inside expressions have balanced braces. `$${` is an escaped literal.
 */
export function interpolations(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === "$") {
      i = start + 2;
      continue;
    }
    let depth = 1;
    let j = start + 2;
    for (; j < text.length && depth > 0; j++) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}") depth--;
    }
    found.push(text.slice(start + 2, j - 1));
    i = j;
  }
  return found;
}

/** Names `prefix.<name>` refers to in one expression (`var`, `local`, `module.x`, ...). */
function namesIn(expression: string, prefix: string): string[] {
  const escaped = prefix.replace(/[.]/g, "\\.");
  const pattern = new RegExp(`(?<![\\w.])${escaped}\\.([A-Za-z_][A-Za-z0-9_-]*)`, "g");
  return [...expression.matchAll(pattern)].map((m) => m[1] ?? "");
}

/** Names `prefix.<name>` refers to in the expressions of a string. */
export function references(text: string, prefix: string): string[] {
  return interpolations(text).flatMap((expression) => namesIn(expression, prefix));
}

export interface TypeAttribute {
  optional: boolean;
  /** The attribute's type expression, e.g. `optional(number)`. */
  type: string;
}

/**
 * Attributes of the first `object({ ... })` in a type expression such as a variable's
 * `${list(object({ a = string, b = optional(number) }))}`; empty when there is none.
 */
export function objectTypeAttributes(typeExpression: string): Map<string, TypeAttribute> {
  const attributes = new Map<string, TypeAttribute>();
  const open = typeExpression.indexOf("object({");
  if (open < 0) return attributes;
  const pieces: string[] = [];
  let depth = 0;
  let piece = "";
  for (const char of typeExpression.slice(open + "object({".length)) {
    if (depth === 0 && char === "}") break;
    if ("({[".includes(char)) depth++;
    if (")}]".includes(char)) depth--;
    if (depth === 0 && (char === "\n" || char === ",")) {
      pieces.push(piece);
      piece = "";
    } else piece += char;
  }
  pieces.push(piece);
  for (const text of pieces) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*([\s\S]+?)\s*$/.exec(text);
    if (match?.[1] && match[2])
      attributes.set(match[1], { optional: match[2].startsWith("optional("), type: match[2] });
  }
  return attributes;
}

/** Every string in a parsed value, object keys included. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** The variables a module declares, with their bodies. */
export function declaredVariables(module: TfModule): Map<string, HclObject> {
  const declared = new Map<string, HclObject>();
  for (const file of module.files) {
    for (const { name, body } of namedBlocks(file.json, "variable")) declared.set(name, body);
  }
  return declared;
}

/** Every `var.X` used in a module is declared in that module. */
export function checkVariableReferences(module: TfModule): Finding[] {
  const declared = declaredVariables(module);
  const findings: Finding[] = [];
  for (const file of module.files) {
    const used = new Set(strings(file.json).flatMap((s) => references(s, "var")));
    for (const name of used) {
      if (!declared.has(name)) {
        findings.push({
          file: file.path,
          message: `var.${name} is used but no variable "${name}" is declared in ${module.dir}`,
        });
      }
    }
  }
  return findings;
}

/**
 * Every `local.X` used in a module is defined there, and every `<provider>_<type>.<name>` it
 * references (for the given provider names) is a resource declared there.
 */
export function checkLocalAndResourceReferences(module: TfModule, providers: readonly string[]): Finding[] {
  const locals = moduleLocals(module);
  const resources = new Set(
    module.files.flatMap((file) =>
      labelledBlocks(file.json, "resource").map(({ type, name }) => `${type}.${name}`),
    ),
  );
  const dataSources = new Set(
    module.files.flatMap((file) =>
      labelledBlocks(file.json, "data").map(({ type, name }) => `data.${type}.${name}`),
    ),
  );
  const dataPattern = new RegExp(
    `(?<![\\w.])data\\.((?:${providers.join("|")})_[a-z0-9_]+)\\.([A-Za-z_][A-Za-z0-9_-]*)`,
    "g",
  );
  const resourcePattern = new RegExp(
    `(?<![\\w.])((?:${providers.join("|")})_[a-z0-9_]+)\\.([A-Za-z_][A-Za-z0-9_-]*)`,
    "g",
  );
  const findings: Finding[] = [];
  for (const file of module.files) {
    const expressions = strings(file.json).flatMap(interpolations);
    for (const name of new Set(expressions.flatMap((e) => namesIn(e, "local")))) {
      if (!locals.has(name))
        findings.push({ file: file.path, message: `local.${name} is used but not defined in ${module.dir}` });
    }
    const used = new Set(
      expressions.flatMap((e) => [...e.matchAll(resourcePattern)].map((m) => `${m[1]}.${m[2]}`)),
    );
    for (const ref of used) {
      if (!resources.has(ref))
        findings.push({ file: file.path, message: `${ref} is referenced but not declared in ${module.dir}` });
    }
    const usedData = new Set(
      expressions.flatMap((e) => [...e.matchAll(dataPattern)].map((m) => `data.${m[1]}.${m[2]}`)),
    );
    for (const ref of usedData) {
      if (!dataSources.has(ref))
        findings.push({ file: file.path, message: `${ref} is referenced but not declared in ${module.dir}` });
    }
  }
  return findings;
}

/** Every variable states a type and a description. */
export function checkVariableDeclarations(module: TfModule): Finding[] {
  const findings: Finding[] = [];
  for (const file of module.files) {
    for (const { name, body } of namedBlocks(file.json, "variable")) {
      if (body.type === undefined)
        findings.push({ file: file.path, message: `variable "${name}" has no type` });
      if (typeof body.description !== "string" || body.description.trim() === "") {
        findings.push({ file: file.path, message: `variable "${name}" has no description` });
      }
    }
  }
  return findings;
}

function blockParts(schema: BlockSchema | undefined): {
  args: readonly string[];
  blocks: Readonly<Record<string, BlockSchema>>;
} {
  if (schema === undefined) return { args: [], blocks: {} };
  return Array.isArray(schema)
    ? { args: schema as readonly string[], blocks: {} }
    : {
        args: (schema as { args: readonly string[] }).args,
        blocks: (schema as { blocks?: Record<string, BlockSchema> }).blocks ?? {},
      };
}

function checkBlockArguments(
  file: string,
  where: string,
  body: HclObject,
  allowed: readonly string[],
  blocks: Readonly<Record<string, BlockSchema>>,
): Finding[] {
  const findings: Finding[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === "lifecycle") {
      for (const lifecycle of bodies(value)) {
        for (const arg of Object.keys(lifecycle)) {
          if (!LIFECYCLE_ARGUMENTS.includes(arg))
            findings.push({ file, message: `${where}: unknown lifecycle argument "${arg}"` });
        }
      }
    } else if (key === "dynamic" && isObject(value)) {
      for (const [label, list] of Object.entries(value)) {
        const nested = blocks[label];
        if (!nested) {
          findings.push({ file, message: `${where}: dynamic block "${label}" is not a documented block` });
          continue;
        }
        const parts = blockParts(nested);
        for (const dynamic of bodies(list)) {
          for (const content of bodies(dynamic.content)) {
            findings.push(
              ...checkBlockArguments(file, `${where} ${label}`, content, parts.args, parts.blocks),
            );
          }
        }
      }
    } else if (blocks[key] && Array.isArray(value)) {
      const parts = blockParts(blocks[key]);
      for (const nestedBody of bodies(value)) {
        findings.push(...checkBlockArguments(file, `${where} ${key}`, nestedBody, parts.args, parts.blocks));
      }
    } else if (!allowed.includes(key) && !blocks[key]) {
      findings.push({ file, message: `${where}: "${key}" is not a documented argument` });
    }
  }
  return findings;
}

/** Every resource type, data source, provider and argument used is in the allowlist. */
export function checkResources(module: TfModule, allowlist: Allowlist): Finding[] {
  const findings: Finding[] = [];
  for (const file of module.files) {
    for (const { type, name, body } of labelledBlocks(file.json, "resource")) {
      const schema = allowlist.resources[type];
      const where = `resource ${type}.${name}`;
      if (!schema) {
        findings.push({
          file: file.path,
          message: `${where}: resource type "${type}" is not in the allowlist`,
        });
        continue;
      }
      findings.push(
        ...checkBlockArguments(
          file.path,
          where,
          body,
          [...schema.args, ...RESOURCE_META_ARGUMENTS],
          schema.blocks ?? {},
        ),
      );
    }
    for (const { type, name, body } of labelledBlocks(file.json, "data")) {
      const args = allowlist.dataSources[type];
      const where = `data ${type}.${name}`;
      if (!args) {
        findings.push({
          file: file.path,
          message: `${where}: data source "${type}" is not in the allowlist`,
        });
        continue;
      }
      findings.push(
        ...checkBlockArguments(file.path, where, body, [...args, ...RESOURCE_META_ARGUMENTS], {}),
      );
    }
    for (const { name, body } of namedBlocks(file.json, "provider")) {
      const args = allowlist.providers[name];
      if (!args) {
        findings.push({ file: file.path, message: `provider "${name}" is not in the allowlist` });
        continue;
      }
      findings.push(...checkBlockArguments(file.path, `provider ${name}`, body, [...args, "alias"], {}));
    }
  }
  return findings;
}

/** Follows `local.X` references from an expression to the object literals they end in, and returns their keys. */
function objectKeysBehind(
  expression: string,
  locals: Map<string, unknown>,
  seen = new Set<string>(),
): string[] {
  return references(expression, "local").flatMap((name) => {
    if (seen.has(name)) return [];
    seen.add(name);
    const value = locals.get(name);
    if (isObject(value)) return Object.keys(value);
    if (typeof value === "string") return objectKeysBehind(value, locals, seen);
    return [];
  });
}

function moduleLocals(module: TfModule): Map<string, unknown> {
  const locals = new Map<string, unknown>();
  for (const file of module.files) {
    for (const block of bodies(file.json.locals)) {
      for (const [name, value] of Object.entries(block)) locals.set(name, value);
    }
  }
  return locals;
}

/**
 * Environment keys of each function resource: the keys of the object literals in `locals` that its
 * environment argument reaches through `local.X` references. `null` when none can be resolved
 * (for instance an inline `jsonencode({ ... })`, whose keys hcl2json leaves inside an expression).
 */
export function environmentKeys(
  module: TfModule,
  rules: EnvironmentRules,
): { file: string; resource: string; keys: string[] | null }[] {
  const locals = moduleLocals(module);
  return module.files.flatMap((file) =>
    labelledBlocks(file.json, "resource")
      .filter(({ type }) => rules.functionTypes[type] !== undefined)
      .map(({ type, name, body }) => {
        const expressions = (rules.functionTypes[type] ?? [])
          .map((arg) => body[arg])
          .filter((v) => typeof v === "string");
        const keys = [...new Set(expressions.flatMap((e) => objectKeysBehind(e, locals)))];
        return { file: file.path, resource: `${type}.${name}`, keys: keys.length > 0 ? keys.sort() : null };
      }),
  );
}

/** Every function's environment keys are allowed, and the required ones are all there. */
export function checkEnvironment(module: TfModule, rules: EnvironmentRules): Finding[] {
  return environmentKeys(module, rules).flatMap(({ file, resource, keys }) => {
    if (keys === null) {
      return [
        {
          file,
          message: `${resource}: its environment keys cannot be read; write it as jsonencode(local.<name>) where the local is an object literal (or filters one)`,
        },
      ];
    }
    return [
      ...keys
        .filter((key) => !rules.allowed.includes(key))
        .map((key) => ({
          file,
          message: `${resource}: environment key "${key}" is not one the functions read (DEPLOYED_ENV_KEYS)`,
        })),
      ...rules.required
        .filter((key) => !keys.includes(key))
        .map((key) => ({ file, message: `${resource}: environment lacks required key "${key}"` })),
    ];
  });
}

function requiredVariables(module: TfModule): string[] {
  return [...declaredVariables(module)].filter(([, body]) => !("default" in body)).map(([name]) => name);
}

/**
 * Each `module` block with a local source passes every variable the called module requires and
 * nothing the called module does not declare, and the caller reads only outputs the called module
 * has. `modules` is keyed by directory.
 */
export function checkModuleCalls(caller: TfModule, modules: ReadonlyMap<string, TfModule>): Finding[] {
  const findings: Finding[] = [];
  for (const file of caller.files) {
    for (const { name, body } of namedBlocks(file.json, "module")) {
      const source = body.source;
      if (typeof source !== "string" || !source.startsWith(".")) continue;
      const calleeDir = posix.join(caller.dir, source);
      const callee = modules.get(calleeDir);
      if (!callee) {
        findings.push({
          file: file.path,
          message: `module "${name}": source ${source} (${calleeDir}) is not a known module`,
        });
        continue;
      }
      const declared = declaredVariables(callee);
      const passed = Object.keys(body).filter((key) => !MODULE_META_ARGUMENTS.includes(key));
      for (const key of passed) {
        if (!declared.has(key))
          findings.push({
            file: file.path,
            message: `module "${name}": "${key}" is not a variable of ${calleeDir}`,
          });
      }
      for (const key of requiredVariables(callee)) {
        if (!passed.includes(key))
          findings.push({
            file: file.path,
            message: `module "${name}": required variable "${key}" of ${calleeDir} is not set`,
          });
      }
      const outputs = new Set(callee.files.flatMap((f) => namedBlocks(f.json, "output").map((o) => o.name)));
      const read = caller.files.flatMap((f) =>
        strings(f.json).flatMap((s) => references(s, `module.${name}`)),
      );
      for (const output of new Set(read)) {
        if (!outputs.has(output))
          findings.push({
            file: file.path,
            message: `module "${name}": "${output}" is not an output of ${calleeDir}`,
          });
      }
    }
  }
  return findings;
}

/** A tfvars file sets only declared variables, and every required one. */
export function checkTfvars(path: string, tfvars: HclObject, module: TfModule): Finding[] {
  const declared = declaredVariables(module);
  const set = Object.keys(tfvars);
  return [
    ...set
      .filter((key) => !declared.has(key))
      .map((key) => ({ file: path, message: `"${key}" is not a variable of ${module.dir}` })),
    ...requiredVariables(module)
      .filter((key) => !set.includes(key))
      .map((key) => ({ file: path, message: `required variable "${key}" of ${module.dir} is not set` })),
  ];
}

/**
 * Every resource of a regional type sets `region = var.region`: left out, the provider's region
 * decides where the resource goes, whatever the module was told.
 */
export function checkRegions(module: TfModule, allowlist: Allowlist): Finding[] {
  return module.files.flatMap((file) =>
    labelledBlocks(file.json, "resource")
      .filter(({ type }) => allowlist.resources[type]?.regional)
      .filter(({ body }) => body.region !== `\${var.region}`)
      .map(({ type, name, body }) => ({
        file: file.path,
        message: `resource ${type}.${name}: region is ${body.region === undefined ? "not set" : `${String(body.region)}`}, not var.region`,
      })),
  );
}

/**
 * Every resource whose type takes `enterprise_project_id` or `tags` sets them, so nothing the
 * module creates escapes the enterprise project and tags it was given.
 */
export function checkEnterpriseProjectAndTags(module: TfModule, allowlist: Allowlist): Finding[] {
  return module.files.flatMap((file) =>
    labelledBlocks(file.json, "resource").flatMap(({ type, name, body }) =>
      ["enterprise_project_id", "tags"]
        .filter((arg) => allowlist.resources[type]?.args.includes(arg) && body[arg] === undefined)
        .map((arg) => ({ file: file.path, message: `resource ${type}.${name}: ${arg} is not set` })),
    ),
  );
}

/** A `check` block only warns; a rule the deployed system needs is a precondition. */
export function checkNoWarningChecks(module: TfModule): Finding[] {
  return module.files.flatMap((file) =>
    namedBlocks(file.json, "check").map(({ name }) => ({
      file: file.path,
      message: `check "${name}" only warns at plan time: make it a precondition of the resource that would misbehave`,
    })),
  );
}

/**
 * Nothing in a module reaches outside its own directory through `path.module`: fetched from a
 * remote source, the module sits in Terraform's download cache, with nothing around it.
 */
export function checkStaysInModule(module: TfModule): Finding[] {
  return module.files.flatMap((file) =>
    [...new Set(strings(file.json).filter((s) => /\$\{path\.module\}\/\.\./.test(s)))].map((s) => ({
      file: file.path,
      message: `${s} reaches outside the module through path.module`,
    })),
  );
}

/**
 * A resource whose `argument` names another resource of `referencedType` (a trigger's topic) and
 * cannot follow it in place is replaced with it: its `replace_triggered_by` names that resource or
 * its `id`.
 */
export function checkReplacedWithReferenced(
  module: TfModule,
  rule: { type: string; argument: string; referencedType: string },
): Finding[] {
  const pattern = new RegExp(`(?<![\\w.])${rule.referencedType}\\.([A-Za-z_][A-Za-z0-9_-]*)`, "g");
  return module.files.flatMap((file) =>
    labelledBlocks(file.json, "resource")
      .filter(({ type }) => type === rule.type)
      .flatMap(({ name, body }) => {
        const named = new Set(
          strings(body[rule.argument]).flatMap((s) => [...s.matchAll(pattern)].map((m) => m[1])),
        );
        const triggers = bodies(body.lifecycle).flatMap((l) => strings(l.replace_triggered_by));
        return [...named]
          .filter(
            (ref) =>
              !triggers.some((t) =>
                new RegExp(`^\\$\\{${rule.referencedType}\\.${ref}(\\.id)?\\}$`).test(t.trim()),
              ),
          )
          .map((ref) => ({
            file: file.path,
            message: `resource ${rule.type}.${name}: ${rule.argument} names ${rule.referencedType}.${ref}, but a new ${ref} does not replace it (replace_triggered_by)`,
          }));
      }),
  );
}

/** The checks every module gets. */
export function checkModule(
  module: TfModule,
  allowlist: Allowlist,
  environment: EnvironmentRules,
): Finding[] {
  return [
    ...checkResources(module, allowlist),
    ...checkVariableReferences(module),
    ...checkLocalAndResourceReferences(module, Object.keys(allowlist.providers)),
    ...checkVariableDeclarations(module),
    ...checkEnvironment(module, environment),
    ...checkRegions(module, allowlist),
    ...checkEnterpriseProjectAndTags(module, allowlist),
    ...checkNoWarningChecks(module),
    ...checkStaysInModule(module),
  ];
}

/** Groups parsed files into modules by directory. */
export function groupModules(files: readonly TfFile[]): Map<string, TfModule> {
  const modules = new Map<string, TfModule>();
  for (const file of files) {
    const dir = posix.dirname(file.path);
    const module = modules.get(dir) ?? { dir, files: [] };
    module.files.push(file);
    modules.set(dir, module);
  }
  return modules;
}

/** Findings as lines, for readable assertion failures. */
export function formatFindings(findings: readonly Finding[]): string[] {
  return findings.map(({ file, message }) => `${file}: ${message}`);
}

/** An IAM action name as a policy statement writes it: `service:resource:action`, no wildcard. */
const IAM_ACTION = /"((?:apig|roma|as|ecs|smn|functiongraph):[A-Za-z]+:[A-Za-z]+)"/g;

/**
 * Every IAM action literal in a `.tf` source has a citation of a Huawei page (`….html`) on its own
 * line or in the comment lines just above it. Works on the raw source: hcl2json drops comments.
 */
export function checkCitedActions(path: string, source: string): Finding[] {
  const lines = source.split("\n");
  const findings: Finding[] = [];
  lines.forEach((line, i) => {
    for (const match of line.matchAll(IAM_ACTION)) {
      let cited = /\.html\b/.test(line);
      for (let j = i - 1; !cited && j >= 0 && /^\s*(#|\/\/)/.test(lines[j] ?? ""); j--) {
        cited = /\.html\b/.test(lines[j] ?? "");
      }
      if (!cited)
        findings.push({ file: path, message: `IAM action ${match[1]} (line ${i + 1}) cites no Huawei page` });
    }
  });
  return findings;
}

/**
 * A resource is replaced whenever any of `variables` changes: its `lifecycle.replace_triggered_by`
 * names a `terraform_data` resource whose `input` reads each of them.
 */
export function checkReplacedWhenChanged(
  module: TfModule,
  resource: { type: string; name: string },
  variables: readonly string[],
): Finding[] {
  const all = module.files.flatMap((file) =>
    labelledBlocks(file.json, "resource").map((block) => ({ ...block, file: file.path })),
  );
  const target = all.find((b) => b.type === resource.type && b.name === resource.name);
  const where = `resource ${resource.type}.${resource.name}`;
  if (!target) return [{ file: module.dir, message: `${where} is not declared` }];
  const triggers = bodies(target.body.lifecycle).flatMap((l) => strings(l.replace_triggered_by));
  const names = triggers.flatMap((t) =>
    [...t.matchAll(/terraform_data\.([A-Za-z_][A-Za-z0-9_-]*)/g)].map((m) => m[1]),
  );
  const inputs = all
    .filter((b) => b.type === "terraform_data" && names.includes(b.name))
    .flatMap((b) => strings(b.body.input).flatMap((s) => references(s, "var")));
  const missing = variables.filter((v) => !inputs.includes(v));
  return missing.map((v) => ({
    file: target.file,
    message: `${where} is not replaced when var.${v} changes (no replace_triggered_by on a terraform_data reading it)`,
  }));
}
