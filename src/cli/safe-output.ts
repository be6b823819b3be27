/**
 * What the CLI prints is fit for a terminal and holds no credential: text that came from
 * the cloud or from a file loses its control characters (a member name must not clear the operator's
 * screen), and every credential the environment holds, with its encoded forms and fragments
 * (../observability/scrub.ts), is scrubbed from anything printed or written.
 */
import { ENV_KEYS } from "../config/keys";
import { TOO_DEEP } from "../observability/logger";
import { scrubberFor } from "../observability/scrub";
import type { CliStream } from "./progress";

/** C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw of CONTROL: DEL, C1, the bidi overrides (and the JS line separators). */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One line of text data, printable: line breaks and tabs become spaces, other controls go. */
export function printable(text: string): string {
  return text.replace(/[\t\n\r]+/g, " ").replace(CONTROL, "");
}

/** Text of several lines, printable: each line as `printable` makes it, the line breaks kept. */
export function printableText(text: string): string {
  return text.split(/\r?\n/).map(printable).join("\n");
}

/** JSON text with the controls JSON.stringify leaves raw written as \u escapes (still the same JSON). */
export function escapeControlsInJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The credential values an environment holds (set or not, used or not). */
export function credentialsIn(env: NodeJS.ProcessEnv): string[] {
  return [ENV_KEYS.ak, ENV_KEYS.sk, ENV_KEYS.securityToken]
    .map((key) => env[key])
    .filter((v): v is string => typeof v === "string" && v !== "");
}

/** Scrubs the environment's credentials from text. */
export function scrubberOf(env: NodeJS.ProcessEnv): (text: string) => string {
  const scrubber = scrubberFor(credentialsIn(env));
  return (text) => scrubber.scrub(text);
}

/** Data nested deeper is replaced by TOO_DEEP: the walk, and any JSON.stringify after it, stay bounded. */
export const MAX_CLEAN_DEPTH = 32;

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * A copy of data from the cloud or a file with every string (keys too) passed through `clean`. Only
 * plain objects and arrays are walked, to MAX_CLEAN_DEPTH; anything else is kept as it is. A key
 * `__proto__` stays a field of the copy.
 */
export function cleanStrings<T>(value: T, clean: (text: string) => string, depth = 0): T {
  if (typeof value === "string") return clean(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_CLEAN_DEPTH && (Array.isArray(value) || isPlainObject(value))) return TOO_DEEP as T;
  if (Array.isArray(value)) return value.map((v) => cleanStrings(v, clean, depth + 1)) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, clean(k), {
      value: cleanStrings(v, clean, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

/**
 * The same stream (a TTY stays one for the progress bar), except that every credential of the
 * environment is scrubbed from what is written to it.
 */
export function scrubbingStream<S extends CliStream>(stream: S, env: NodeJS.ProcessEnv): S {
  const scrub = scrubberOf(env);
  const write = (chunk: unknown, ...rest: unknown[]) =>
    (stream.write as (...args: unknown[]) => unknown)(
      typeof chunk === "string" ? scrub(chunk) : chunk,
      ...rest,
    );
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === "write") return write;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
