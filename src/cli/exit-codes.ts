import { CommanderError } from "commander";
import { ConfigError } from "../config/errors";
import { InputError } from "../events/errors";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import type { Summary } from "../runtime/invoke";
import { UsageError } from "./errors";

/** The CLI's exit codes; scripts and CI jobs rely on them. */
export const EXIT = {
  /** Everything planned was done (or, for `plan` and `--dry-run`, could be planned); nothing dead-lettered. */
  ok: 0,
  /** Some work failed: dead letters were written, or a whole run failed for transient reasons. */
  failed: 1,
  /** Bad usage, a bad file, or a bad configuration: nothing was called. */
  usage: 2,
  /** Ctrl-C or SIGTERM: the run stopped early (128 + SIGINT's number, what shells report for it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Commander's own ids for help and version output, which are successful exits. */
const COMMANDER_SUCCESS = new Set(["commander.helpDisplayed", "commander.version"]);

export function exitCodeForRun(summary: Summary, deadLetters: readonly DeadLetterRecord[]): ExitCode {
  const failed = summary.plan.some((e) => e.status === "failed");
  return failed || summary.dead_lettered > 0 || deadLetters.length > 0 ? EXIT.failed : EXIT.ok;
}

/** Usage, input and configuration errors are the operator's to fix (2); anything else is a failure (1). */
export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof CommanderError) return COMMANDER_SUCCESS.has(err.code) ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof InputError) return EXIT.usage;
  return EXIT.failed;
}
