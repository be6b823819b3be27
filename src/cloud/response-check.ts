/**
 * Checking an answer against its zod schema without rebuilding it. zod's `safeParse` copies every object
 * and array it checks; for a backfill of 10,000 members that is every instance, member and echo, a
 * share of the function's CPU and garbage (a CPU profile of the scale bench, docs/performance.md).
 *
 * For the schemas the answers use (loose objects, arrays, strings, finite numbers, booleans, `unknown`,
 * optional and nullable, with `refine` checks) a predicate compiled from the schema's own definition
 * says whether zod would accept a value. It accepts nothing zod rejects (anything it cannot tell, it
 * rejects), and for what it accepts zod's copy would be equal to the value: plain objects and arrays
 * as JSON.parse makes them, loose objects that keep every key, and a schema kit that neither adds,
 * drops nor transforms one. So an accepted value is returned as it
 * is; anything else goes through zod's `safeParse`, which then gives the issue for the error message
 * (or, where the predicate was only unsure, the value). A schema with any other part (a union, a
 * record, a transform, a non-loose object, a check other than `refine`) is left to zod whole.
 */
/** A zod schema, as far as a request needs one. */
export interface ResponseSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
}

type Accepts = (value: unknown) => boolean;

/** The parts of a zod schema's internals (`_zod`, zod's documented core API) that are read here. */
interface CoreSchema {
  _zod: { def: CoreDef };
}
interface CoreCheck {
  _zod: { def: { check?: string }; check(payload: { value: unknown; issues: unknown[] }): unknown };
}
interface CoreDef {
  type: string;
  coerce?: boolean;
  checks?: CoreCheck[];
  shape?: Record<string, CoreSchema>;
  catchall?: CoreSchema;
  innerType?: CoreSchema;
  element?: CoreSchema;
}

/**
 * A plain object as JSON.parse makes them. zod accepts any non-array object but copies it into a plain
 * one; another prototype (or an own `__proto__` key, which zod leaves out of its copy) goes to zod.
 */
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  Object.getPrototypeOf(v) === Object.prototype &&
  !Object.hasOwn(v, "__proto__");
/** An array as JSON.parse makes them (zod copies any array into a plain one). */
const isPlainArray = (v: unknown): v is unknown[] =>
  Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;

function compileType(def: CoreDef): Accepts | undefined {
  switch (def.type) {
    case "string":
      return def.coerce ? undefined : (v) => typeof v === "string";
    case "number":
      // zod's number: not NaN, not ±Infinity.
      return def.coerce ? undefined : (v) => typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return def.coerce ? undefined : (v) => typeof v === "boolean";
    case "unknown":
    case "any":
      return () => true;
    case "optional": {
      const inner = def.innerType && compile(def.innerType);
      return inner && ((v) => v === undefined || inner(v));
    }
    case "nullable": {
      const inner = def.innerType && compile(def.innerType);
      return inner && ((v) => v === null || inner(v));
    }
    case "array": {
      const element = def.element && compile(def.element);
      if (!element) return undefined;
      return (v) => {
        if (!isPlainArray(v)) return false;
        for (const item of v) if (!element(item)) return false;
        return true;
      };
    }
    case "object": {
      // Loose objects only: zod strips the unknown keys of a plain object (a copy would differ) and
      // rejects them in a strict one.
      const catchall = def.catchall?._zod.def;
      if (!catchall || (catchall.type !== "unknown" && catchall.type !== "any")) return undefined;
      if (catchall.checks?.length) return undefined;
      const fields: [string, Accepts][] = [];
      for (const [key, schema] of Object.entries(def.shape ?? {})) {
        const accepts = compile(schema);
        if (!accepts) return undefined;
        fields.push([key, accepts]);
      }
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const [key, accepts] of fields) if (!accepts(v[key])) return false;
        return true;
      };
    }
    default:
      return undefined;
  }
}

/** Runs `refine` checks as zod does, on a value that passed the type checks; false on any issue. */
function passesChecks(checks: readonly CoreCheck[], value: unknown): boolean {
  const payload = { value, issues: [] as unknown[] };
  for (const check of checks) {
    if (check._zod.check(payload) instanceof Promise) return false;
    if (payload.issues.length > 0) return false;
  }
  return true;
}

function compile(schema: CoreSchema): Accepts | undefined {
  const def = schema._zod?.def;
  if (!def) return undefined;
  const checks = def.checks ?? [];
  if (checks.some((c) => c._zod.def.check !== "custom")) return undefined;
  const accepts = compileType(def);
  if (!accepts || checks.length === 0) return accepts;
  return (v) => accepts(v) && passesChecks(checks, v);
}

const compiled = new WeakMap<object, Accepts | null>();

/** `schema.safeParse(value)`, but an accepted value is returned as it is instead of a copy of it. */
export function checkResponse<T>(
  schema: ResponseSchema<T>,
  value: unknown,
): ReturnType<ResponseSchema<T>["safeParse"]> {
  let accepts = compiled.get(schema);
  if (accepts === undefined) {
    accepts = compile(schema as unknown as CoreSchema) ?? null;
    compiled.set(schema, accepts);
  }
  if (accepts?.(value)) return { success: true, data: value as T };
  return schema.safeParse(value);
}
