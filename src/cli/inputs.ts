import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import * as z from "zod";
import { ENV_KEYS } from "../config/keys";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import { UsageError } from "./errors";
import { cleanStrings, printable } from "./safe-output";

export function readTextFile(file: string, cwd: string, what: string): string {
  try {
    return readFileSync(path.resolve(cwd, file), "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new UsageError(`cannot read ${what} ${file}: ${reason}`);
  }
}

export interface EnvSources {
  /** `KEY=value` lines (the dotenv format Node.js reads); they override the process environment. */
  dotenv?: string;
  /** What BINDINGS holds, read from the --bindings file (./bindings-file.ts); it overrides BINDINGS. */
  bindings?: string;
}

/** The environment a CLI run sees: the process environment, then --dotenv, then --bindings. */
export function buildEnv(base: NodeJS.ProcessEnv, sources: EnvSources, cwd: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  if (sources.dotenv !== undefined) {
    Object.assign(env, parseEnv(readTextFile(sources.dotenv, cwd, "env file")));
  }
  if (sources.bindings !== undefined) env[ENV_KEYS.bindings] = sources.bindings;
  return env;
}

const DeadLetterFileRecordSchema = z.looseObject({
  dead_letter: z.literal(true),
  action: z.string(),
  binding: z
    .looseObject({
      scaling_group_id: z.string(),
      instance_id: z.string(),
      vpc_channel_id: z.string(),
      member_group_name: z.string(),
    })
    .nullable(),
  instance_ids: z.array(z.string()).default([]),
  error: z.looseObject({ status: z.number().nullable(), code: z.string(), message: z.string() }),
  replay: z.looseObject({ scaling_group_ids: z.array(z.string()).optional() }),
});

/** Every JSON value in the text: one document, or one per line (LTS exports may prefix a timestamp). */
function jsonValues(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    const values: unknown[] = [];
    for (const line of text.split(/\r?\n/)) {
      const start = line.indexOf("{");
      if (start < 0) continue;
      try {
        values.push(JSON.parse(line.slice(start)));
      } catch {
        // Not JSON: a log line of another kind.
      }
    }
    return values;
  }
}

/**
 * How deep records are looked for: an array of SMN notifications whose messages hold arrays of records
 * is four levels. Deeper nesting holds no record, and is not walked (it could be a million levels).
 */
const MAX_RECORD_NESTING = 8;

/** An SMN subscription delivers the record as the `message` string of its notification. */
function unwrap(value: unknown, depth = 0): unknown[] {
  if (depth > MAX_RECORD_NESTING || typeof value !== "object" || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => unwrap(v, depth + 1));
  const o = value as Record<string, unknown>;
  if (!Object.hasOwn(o, "dead_letter") && typeof o.message === "string") {
    try {
      return unwrap(JSON.parse(o.message), depth + 1);
    } catch {
      return [];
    }
  }
  return [value];
}

/**
 * Dead-letter records from a file: one record, an array of them, JSON lines (a function log where other
 * lines are skipped), or SMN notifications carrying them. Throws UsageError when there is none.
 */
export function parseDeadLetters(text: string, source: string): DeadLetterRecord[] {
  const candidates = jsonValues(text).flatMap((v) => unwrap(v));
  const records: DeadLetterRecord[] = [];
  const problems: string[] = [];
  candidates.forEach((c, i) => {
    if ((c as { dead_letter?: unknown }).dead_letter !== true) return;
    const parsed = DeadLetterFileRecordSchema.safeParse(c);
    // A file's text is printed back (the replay preface, errors): without its control characters.
    if (parsed.success) records.push(cleanStrings(parsed.data, printable) as unknown as DeadLetterRecord);
    else
      problems.push(
        printable(
          `record ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join(".") || "(record)"} ${x.message}`).join("; ")}`,
        ),
      );
  });
  if (problems.length > 0)
    throw new UsageError(`${source} holds unreadable dead letters:\n  ${problems.join("\n  ")}`);
  if (records.length === 0) {
    throw new UsageError(
      `${source} holds no dead-letter record (a JSON object with "dead_letter": true, an array of them, or log lines)`,
    );
  }
  return records;
}

/** The groups a set of dead letters asks to run again; "all" when any record names no binding. */
export function replayGroups(records: readonly DeadLetterRecord[]): "all" | string[] {
  const groups = new Set<string>();
  for (const r of records) {
    const ids = r.replay.scaling_group_ids;
    if (ids === undefined) return "all";
    for (const id of ids) groups.add(id);
  }
  return [...groups];
}
