import { type Binding, BindingSchema, IDENTITY_FIELDS } from "../config/schema";
import { formatTable } from "./plan-table";

/**
 * The bindings as `validate` shows them: which scaling group feeds which member group of which
 * channel, then every setting that changes what a run does. The settings come from the bindings schema
 * itself, so a field added there shows here with no change. Long ids are shortened to keep a row
 * within 120 columns (`--json` holds them whole).
 */

/** A schema field's type under its optional and default wrappers. */
function baseType(schema: unknown): string {
  let def = (schema as { def: { type: string; innerType?: unknown } }).def;
  while ((def.type === "optional" || def.type === "default") && def.innerType) {
    def = (def.innerType as { def: typeof def }).def;
  }
  return def.type;
}

/** The settings, in schema order: scalars shown as columns, objects (health_check, …) as lines. */
function settingFields(): { scalars: string[]; objects: string[] } {
  const fields = Object.entries(BindingSchema().def.shape).filter(
    ([f]) => !(IDENTITY_FIELDS as readonly string[]).includes(f),
  );
  return {
    scalars: fields.filter(([, s]) => baseType(s) !== "object").map(([f]) => f),
    objects: fields.filter(([, s]) => baseType(s) === "object").map(([f]) => f),
  };
}

const SECONDS = /_seconds$/;

/** `drain_seconds` → `DRAIN`: seconds show in the cells. */
const heading = (field: string) => field.replace(SECONDS, "").replaceAll("_", " ").toUpperCase();

function shown(field: string, value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number" && SECONDS.test(field)) return `${value} s`;
  if (typeof value === "object") return settingsOf(value as Record<string, unknown>).join(", ");
  return String(value);
}

/** `after_seconds 300 s`, one per field of an object setting. */
const settingsOf = (value: Record<string, unknown>) =>
  Object.entries(value).map(([k, v]) => `${k} ${shown(k, v)}`);

/** Rows stay within this many columns with real (32-hex) ids. */
const WIDTH = 120;

/** `  1 health_check: a, b, c`, wrapped at WIDTH under its first setting. */
export function objectLines(prefix: string, parts: readonly string[]): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const [i, part] of parts.entries()) {
    const piece = i < parts.length - 1 ? `${part},` : part;
    if (line !== prefix && line.length + 1 + piece.length > WIDTH) {
      lines.push(line);
      line = " ".repeat(prefix.length) + piece;
    } else line = line === prefix ? `${prefix}${piece}` : `${line} ${piece}`;
  }
  return [...lines, line];
}

/** Ids longer than this are shortened to their start and end. */
const LONG_ID = 16;
const shortened = (id: string) => (id.length > LONG_ID ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);

/** Each id shortened, unless that would make two different ids of the column look the same. */
function idColumn(ids: readonly string[]): string[] {
  const byShort = new Map<string, Set<string>>();
  for (const id of ids) byShort.set(shortened(id), (byShort.get(shortened(id)) ?? new Set()).add(id));
  const ambiguous = [...byShort.values()].some((s) => s.size > 1);
  return ids.map((id) => (ambiguous ? id : shortened(id)));
}

/**
 * The two tables and the object settings of a list of bindings; with `source`, where each binding
 * came from (BINDINGS or tags).
 */
export function renderBindingsTable(bindings: readonly Binding[], source?: (b: Binding) => string): string {
  const column = (f: keyof Binding) => idColumn(bindings.map((b) => String(b[f])));
  const [groups, instances, channels] = [
    column("scaling_group_id"),
    column("instance_id"),
    column("vpc_channel_id"),
  ];
  const which = formatTable([
    [
      "#",
      "SCALING GROUP",
      ...(source ? ["SOURCE"] : []),
      "GATEWAY",
      "GATEWAY INSTANCE",
      "VPC CHANNEL",
      "MEMBER GROUP",
    ],
    ...bindings.map((b, i) => [
      String(i),
      groups[i]!,
      ...(source ? [source(b)] : []),
      b.gateway,
      instances[i]!,
      channels[i]!,
      b.member_group_name,
    ]),
  ]);
  const { scalars, objects } = settingFields();
  const settings = formatTable([
    ["#", ...scalars.map(heading)],
    ...bindings.map((b, i) => [
      String(i),
      ...scalars.map((f) => shown(f, (b as Record<string, unknown>)[f])),
    ]),
  ]);
  const objectSettings = bindings.flatMap((b, i) =>
    objects.flatMap((f) => {
      const value = (b as Record<string, unknown>)[f];
      if (value === undefined) return [];
      const parts = settingsOf(value as Record<string, unknown>);
      return objectLines(`  ${i} ${f}: `, parts.length > 0 ? parts : ["on, every default"]);
    }),
  );
  return [which, "", settings, ...objectSettings].join("\n");
}
