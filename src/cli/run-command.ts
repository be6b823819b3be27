import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../config/errors";
import type { Binding } from "../config/schema";
import { type BindingSet, sourcesOf } from "../discovery/merge";
import { selectBindings } from "../plan/identity";
import { DiscoveryFailedError, type RunFailure, TransientFailureError } from "../runtime/invoke";
import { readBindingsFile } from "./bindings-file";
import { cliCommand, sourceArgs } from "./command-line";
import { EXIT, type ExitCode, exitCodeForRun } from "./exit-codes";
import { hostsLine } from "./hosts";
import { buildEnv } from "./inputs";
import { type InterruptSignal, InterruptWatch } from "./interrupt";
import { renderInterrupted } from "./interrupted";
import { type CliIo, dotenvOf, type GlobalOptions, type JsonError, logSink, printJson } from "./io";
import { renderRun, type Totals } from "./plan-table";
import { createProgress } from "./progress";
import { cleanedResult, emptyRunResult, loadCliBindings, type RunResult, runBatches } from "./runner";
import { printable } from "./safe-output";

export interface RunOptions extends GlobalOptions {
  group?: string[];
  dryRun?: boolean;
  timeout: number;
  deadLetterFile?: string;
}

export interface RunSpec {
  command: string;
  groups: "all" | string[];
  dryRun: boolean;
  /** One invocation per batch of bindings, with progress; else one invocation for all. */
  batched: boolean;
  /** Printed before the run (human output only). */
  preface?: (bindings: readonly Binding[]) => string;
}

/**
 * The time a run may take unless --timeout says otherwise: the Terraform module's default function
 * timeout (`timeout` in infra/modules/channel-autoscaler/variables.tf), so a CLI run gets what a
 * deployed run gets; test/cli/defaults.test.ts holds the two together.
 */
export const FUNCTION_TIMEOUT_S = 300;

/**
 * How long an interrupted run may take to wind down beyond the per-request timeout: by then every call
 * in flight has had its answer or its timeout, so nothing is left but to report.
 */
const WIND_DOWN_MARGIN_MS = 2_000;

/** The environment of a run: --bindings read in whatever shape it has (./bindings-file.ts). */
export function runEnv(opts: GlobalOptions, io: CliIo): { env: NodeJS.ProcessEnv; bindingsRoot?: string } {
  const file = opts.bindings === undefined ? undefined : readBindingsFile(opts.bindings, io.cwd);
  if (file && file.issues.length > 0) throw new ConfigError(file.issues);
  const env = buildEnv(io.env, { dotenv: dotenvOf(opts), bindings: file?.text }, io.cwd);
  return file ? { env, bindingsRoot: file.root } : { env };
}

/**
 * What the CLI says about the runs that failed as a whole, once: the functions leave it to the
 * platform's retry; here the operator is the retry, and the hint after the report says what to run.
 */
function closingError(errors: readonly RunFailure[], bindings: number): string | undefined {
  if (errors.length === 0) return undefined;
  const discovery = errors.find((e) => e instanceof DiscoveryFailedError);
  if (discovery) return `tag discovery failed (${discovery.reason}); nothing was reconciled`;
  const failed = errors.reduce((n, e) => n + (e instanceof TransientFailureError ? e.failedBindings : 0), 0);
  const which =
    failed >= bindings ? `no binding could be reconciled: ${failed}` : `${failed} of ${bindings} bindings`;
  return `${which} failed for transient reasons (network errors, timeouts, throttling or server errors)`;
}

/**
 * What to run next when something was not done: plan again after a fix (a dry run wrote nothing to
 * replay), replay the saved dead letters, or run the same command again.
 */
function nextStep(spec: RunSpec, opts: RunOptions, given: readonly string[], interrupted: boolean): string {
  const sources = sourceArgs({ dotenv: dotenvOf(opts), bindings: opts.bindings });
  // The same command line, with the option's current name (see --env-file in program.ts).
  const argv = given.map((a) => a.replace(/^--env-file(?==|$)/, "--dotenv"));
  if (interrupted) {
    return (
      `\nInterrupted: run ${spec.command} again to finish (every run reads the whole state again):\n` +
      `  ${cliCommand(argv)}\n` +
      (opts.deadLetterFile ? `The dead letters of this run are in ${opts.deadLetterFile}.\n` : "")
    );
  }
  if (spec.dryRun) return `\nFix the cause, then plan again:\n  ${cliCommand(argv)}\n`;
  if (opts.deadLetterFile) {
    return (
      `\nDead letters saved to ${opts.deadLetterFile}. Once the cause is fixed, replay them:\n` +
      `  ${cliCommand(["replay", opts.deadLetterFile, ...sources])}\n`
    );
  }
  return (
    "\nOnce the cause is fixed, run the same command again (every run reads the whole state again):\n" +
    `  ${cliCommand(argv)}\n` +
    "or add --dead-letter-file <file> to save the dead letters and replay only them.\n"
  );
}

/**
 * Writes the run's dead letters to the --dead-letter-file, none included: a file left from an earlier
 * run would otherwise be replayed as if this run had left it. Returns whether it replaced such a file.
 */
function writeDeadLetterFile(name: string, result: RunResult, cwd: string): boolean {
  const file = path.resolve(cwd, name);
  const existed = existsSync(file);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result.deadLetters, null, 2)}\n`);
  return existed;
}

/** The figures a command reports (--json `metrics`, the `Calls` line): the runs' figures added up. */
function totalsOf({ figures: f, invocations }: RunResult): Totals {
  return {
    invocations,
    calls: f.calls,
    writes: f.writes,
    retries: f.retries,
    throttles: f.throttles,
    members_changed: f.members_changed,
    duration_ms: f.duration_ms,
  };
}

const signalKey = (signal: InterruptSignal) => (signal === "SIGINT" ? "Ctrl-C" : signal);

/** What a run did, fit to print, and the signal that interrupted it, if one did. */
interface RunOutcome {
  result: RunResult;
  interruptedBy: InterruptSignal | undefined;
}

/**
 * Runs the batches, listening for Ctrl-C and SIGTERM meanwhile: the first gives the terminal back
 * and stops every new call (./interrupt.ts), then the run has the per-request timeout and a margin to
 * wind down; a second exits at once.
 */
async function runInterruptibly(
  spec: RunSpec,
  opts: RunOptions,
  io: CliIo,
  run: { env: NodeJS.ProcessEnv; onLog: (line: string) => void; set: BindingSet; requestTimeoutMs: number },
): Promise<RunOutcome> {
  const progress = spec.batched && !opts.json ? createProgress(io.stderr, { bar: !opts.verbose }) : undefined;
  const windDownMs = run.requestTimeoutMs + WIND_DOWN_MARGIN_MS;
  const say = (text: string) => (opts.json ? undefined : io.stderr.write(text));
  const watch = new InterruptWatch(
    io.signals,
    {
      first(signal) {
        progress?.stop();
        say(
          `\n${signal}: no new call starts; waiting up to ${Math.ceil(windDownMs / 1000)} s for the calls in flight, then reporting (${signalKey(signal)} again to exit now)\n`,
        );
      },
      again(signal) {
        progress?.stop();
        say(
          `${signal} again: exiting now, without the report; what the calls in flight did is unknown: run plan to see\n`,
        );
        io.exit?.(EXIT.interrupted);
      },
    },
    windDownMs,
  );
  const raw = emptyRunResult(spec.dryRun);
  const settings = { env: run.env, timeoutMs: opts.timeout * 1000, onLog: run.onLog };
  try {
    await Promise.race([
      runBatches(spec.groups, spec.dryRun, settings, run.set, raw, {
        ...(progress ? { progress } : {}),
        interrupt: watch.signal,
      }),
      watch.graceEnded(),
    ]);
  } finally {
    progress?.stop();
    watch.dispose();
  }
  // Past the wind-down the run still going on is left to itself: what is known now is reported.
  return { result: cleanedResult(raw, run.env), interruptedBy: watch.interruptedBy };
}

/** The human report of a run: the tables, what an interrupt left, the closing error, what to run next. */
function printReport(
  spec: RunSpec,
  opts: RunOptions,
  io: CliIo,
  argv: readonly string[],
  view: { set: BindingSet; bindingsFromTags: boolean; replacedFile: boolean } & RunOutcome,
): void {
  const { result, interruptedBy } = view;
  const selected = selectBindings(view.set.bindings, spec.groups);
  const notRun = new Set([...result.notStarted, ...result.inFlight]);
  io.stdout.write(
    renderRun({
      bindings: selected.filter((b) => !notRun.has(b)),
      ...(view.bindingsFromTags && { sources: sourcesOf(view.set) }),
      summary: result.summary,
      deadLetters: result.deadLetters,
      totals: totalsOf(result),
    }),
  );
  if (interruptedBy) {
    io.stdout.write(
      `\n${renderInterrupted(interruptedBy, result.summary.plan, result.notStarted, result.inFlight)}`,
    );
  }
  const closing = closingError(result.errors, selected.length);
  if (closing) io.stdout.write(`\nerror: ${printable(closing)}\n`);
  if (opts.deadLetterFile && result.deadLetters.length === 0 && !interruptedBy) {
    io.stdout.write(
      `\nNo dead letters: ${opts.deadLetterFile} now holds none${view.replacedFile ? " (it held an earlier run's)" : ""}.\n`,
    );
  }
  if (interruptedBy || result.deadLetters.length > 0 || result.errors.length > 0) {
    io.stdout.write(nextStep(spec, opts, argv, interruptedBy !== undefined));
  }
}

/**
 * One command that runs the functions' code over the bindings (plan, sync, backfill, replay): load,
 * run (interruptibly), write the dead letters, report. Returns the exit code.
 */
export async function runCommand(
  spec: RunSpec,
  opts: RunOptions,
  io: CliIo,
  argv: readonly string[],
): Promise<ExitCode> {
  const { env, bindingsRoot } = runEnv(opts, io);
  const onLog = logSink(opts, io);
  const { config, set } = await loadCliBindings(env, {
    timeoutMs: opts.timeout * 1000,
    onLog,
    ...(bindingsRoot !== undefined ? { bindingsRoot } : {}),
  });
  if (!opts.json) {
    for (const w of config.warnings) io.stderr.write(`warning: ${w}\n`);
    io.stdout.write(hostsLine(config, set.bindings));
    if (spec.preface) io.stdout.write(spec.preface(set.bindings));
  }
  const outcome = await runInterruptibly(spec, opts, io, {
    env,
    onLog,
    set,
    requestTimeoutMs: config.tuning.requestTimeoutMs,
  });
  const { result, interruptedBy } = outcome;
  const replacedFile = opts.deadLetterFile ? writeDeadLetterFile(opts.deadLetterFile, result, io.cwd) : false;
  const code = interruptedBy
    ? EXIT.interrupted
    : result.errors.length > 0
      ? EXIT.failed
      : exitCodeForRun(result.summary, result.deadLetters);
  if (!opts.json) {
    printReport(spec, opts, io, argv, {
      ...outcome,
      set,
      bindingsFromTags: config.bindingsFromTags,
      replacedFile,
    });
    return code;
  }
  printJson(io, {
    command: spec.command,
    exit_code: code,
    summary: result.summary,
    dead_letters: result.deadLetters,
    metrics: totalsOf(result),
    request_ids: result.requestIds,
    errors: result.errors.map((e): JsonError => ({ name: e.name, message: closingError([e], 1)! })),
    ...(interruptedBy && {
      interrupted: {
        signal: interruptedBy,
        not_started: result.notStarted.map((b) => b.scaling_group_id),
        in_flight: result.inFlight.map((b) => b.scaling_group_id),
      },
    }),
  });
  return code;
}
