import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { version } from "../../package.json";
import { ConfigError, type ConfigIssue } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import { ENV_SIZE_LIMIT, ENV_SIZE_WARN_AT, parseBindings } from "../config/load";
import type { Binding } from "../config/schema";
import { type BindingSource, type SkippedGroup, sourceOf, sourcesOf } from "../discovery/merge";
import { describeTagProblems } from "../discovery/tags";
import { channelKey, selectBindings } from "../plan/identity";
import { TransientFailureError } from "../runtime/invoke";
import { cliCommand, sourceArgs } from "./command-line";
import { UsageError } from "./errors";
import { EXIT, type ExitCode, exitCodeForError, exitCodeForRun } from "./exit-codes";
import { hostsLine } from "./hosts";
import { buildEnv, parseDeadLetters, readTextFile, replayGroups } from "./inputs";
import { formatTable, renderRun, type Totals } from "./plan-table";
import { type CliStream, createProgress } from "./progress";
import { loadCliBindings, memberGroupChecks, type RunResult, runBatches } from "./runner";
import { escapeControlsInJson } from "./safe-output";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: CliStream;
  stderr: CliStream;
  cwd: string;
}

interface GlobalOptions {
  bindings?: string;
  dotenv?: string;
  /** The old name of --dotenv, still read: Node.js 20 reads `--env-file` itself (see the option). */
  envFile?: string;
  json?: boolean;
  verbose?: boolean;
  logFile?: string;
}

interface RunOptions extends GlobalOptions {
  group?: string[];
  dryRun?: boolean;
  timeout: number;
  deadLetterFile?: string;
}

const DEFAULT_TIMEOUT_S = 900;

/** The env file a command names: --dotenv, or its old name --env-file. */
const dotenvOf = (opts: GlobalOptions) => opts.dotenv ?? opts.envFile;

const COMMANDS = ["plan", "sync", "backfill", "validate", "replay"] as const;

/** One entry of `errors` in a --json document. */
interface JsonError {
  name: string;
  message: string;
  issues?: readonly ConfigIssue[];
}

/**
 * What the CLI says about a run that failed as a whole. The functions leave it to the platform's
 * retry; here the operator is the retry, and the hint after the report says what to run.
 */
function cliErrorMessage(err: Error): string {
  if (err instanceof TransientFailureError && err.discovery !== undefined) {
    return `tag discovery failed for a transient reason (${err.discovery}); nothing was reconciled`;
  }
  if (err instanceof TransientFailureError) {
    return `no binding could be reconciled: ${err.failedBindings} failed for transient reasons (network errors, timeouts, throttling or server errors)`;
  }
  return err.message;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new InvalidArgumentError("must be a whole number of seconds from 1 to 86400");
  }
  return n;
}

/** The JSON log lines of the functions' code: kept off the terminal unless --verbose, or in --log-file. */
function logSink(opts: GlobalOptions, io: CliIo): (line: string) => void {
  const file = opts.logFile ? path.resolve(io.cwd, opts.logFile) : undefined;
  if (file) mkdirSync(path.dirname(file), { recursive: true });
  return (raw) => {
    const line = escapeControlsInJson(raw);
    if (opts.verbose) io.stderr.write(`${line}\n`);
    if (file) appendFileSync(file, `${line}\n`);
  };
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${escapeControlsInJson(JSON.stringify(value, null, 2))}\n`);
}

interface RunSpec {
  command: string;
  groups: "all" | string[];
  dryRun: boolean;
  /** One invocation per batch of bindings, with progress; else one invocation for all. */
  batched: boolean;
  /** Printed before the run (human output only). */
  preface?: (bindings: readonly Binding[]) => string;
}

/**
 * What to run next when something was not done: plan again after a fix (a dry run wrote nothing to
 * replay), replay the saved dead letters, or run the same command again.
 */
function nextStep(spec: RunSpec, opts: RunOptions, given: readonly string[]): string {
  const sources = sourceArgs({ dotenv: dotenvOf(opts), bindings: opts.bindings });
  // The same command line, with the option's current name (see --env-file below).
  const argv = given.map((a) => a.replace(/^--env-file(?==|$)/, "--dotenv"));
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

async function run(spec: RunSpec, opts: RunOptions, io: CliIo, argv: readonly string[]): Promise<ExitCode> {
  const env = buildEnv(io.env, { dotenv: dotenvOf(opts), bindings: opts.bindings }, io.cwd);
  const { config, set } = await loadCliBindings(env, {
    timeoutMs: opts.timeout * 1000,
    onLog: logSink(opts, io),
  });
  if (!opts.json) {
    for (const w of config.warnings) io.stderr.write(`warning: ${w}\n`);
    io.stdout.write(hostsLine(config, set.bindings));
    if (spec.preface) io.stdout.write(spec.preface(set.bindings));
  }
  const progress = spec.batched && !opts.json ? createProgress(io.stderr, { bar: !opts.verbose }) : undefined;
  const result: RunResult = await runBatches(
    spec.groups,
    spec.dryRun,
    { env, timeoutMs: opts.timeout * 1000, onLog: logSink(opts, io) },
    set,
    progress,
  );
  if (opts.deadLetterFile && result.deadLetters.length > 0) {
    const file = path.resolve(io.cwd, opts.deadLetterFile);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result.deadLetters, null, 2)}\n`);
  }
  const code = result.errors.length > 0 ? EXIT.failed : exitCodeForRun(result.summary, result.deadLetters);
  if (opts.json) {
    printJson(io, {
      command: spec.command,
      exit_code: code,
      summary: result.summary,
      dead_letters: result.deadLetters,
      metrics: totalsOf(result),
      request_ids: result.requestIds,
      errors: result.errors.map((e): JsonError => ({ name: e.name, message: cliErrorMessage(e) })),
    });
    return code;
  }
  const selected = selectBindings(set.bindings, spec.groups);
  io.stdout.write(
    renderRun({
      bindings: selected,
      ...(config.bindingsFromTags && { sources: sourcesOf(set) }),
      summary: result.summary,
      deadLetters: result.deadLetters,
      totals: totalsOf(result),
    }),
  );
  for (const e of result.errors) io.stdout.write(`\nerror: ${cliErrorMessage(e)}\n`);
  if (result.deadLetters.length > 0 || result.errors.length > 0) io.stdout.write(nextStep(spec, opts, argv));
  return code;
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

interface ValidateReport {
  command: "validate";
  exit_code: ExitCode;
  errors: JsonError[];
  valid: boolean;
  source: string;
  bindings: number;
  scaling_groups: number;
  channels: number;
  issues: ConfigIssue[];
  warnings: string[];
  /** Whether the bound channels were read for member groups with a member_group_weight. */
  channels_checked: boolean;
}

interface TagValidateReport {
  command: "validate";
  exit_code: ExitCode;
  valid: boolean;
  source: "BINDINGS+tags";
  bindings: number;
  bindings_discovered: number;
  scaling_groups: number;
  channels: number;
  list: { scaling_group_id: string; source: BindingSource; channel: string; member_group_name: string }[];
  shadowed: string[];
  skipped: SkippedGroup[];
  warnings: string[];
  channels_checked: boolean;
}

/** The bindings as `validate` lists them; with `source`, where each came from. */
function bindingsTable(bindings: readonly Binding[], source?: (b: Binding) => string): string {
  return formatTable([
    ["SCALING GROUP", ...(source ? ["SOURCE"] : []), "CHANNEL", "MEMBER GROUP", "WEIGHT", "STANDBY", "DRAIN"],
    ...bindings.map((b) => [
      b.scaling_group_id,
      ...(source ? [source(b)] : []),
      channelKey(b),
      b.member_group_name,
      String(b.weight),
      b.standby ? "yes" : "no",
      `${b.drain_seconds} s`,
    ]),
  ]);
}

/**
 * `validate` with BINDINGS_FROM_TAGS=true: discovers the tagged groups as `reconcile` does, and shows
 * each binding with its source and each skipped group with its problems (exit 1 when any is skipped).
 */
async function validateWithTags(env: NodeJS.ProcessEnv, opts: GlobalOptions, io: CliIo): Promise<ExitCode> {
  const { config, set } = await loadCliBindings(env, {
    timeoutMs: DEFAULT_TIMEOUT_S * 1000,
    onLog: logSink(opts, io),
  });
  const code = set.skipped.length === 0 ? EXIT.ok : EXIT.failed;
  const groups = await memberGroupChecks(
    env,
    { timeoutMs: DEFAULT_TIMEOUT_S * 1000, onLog: logSink(opts, io) },
    set.bindings,
  );
  const report: TagValidateReport = {
    command: "validate",
    exit_code: code,
    valid: set.skipped.length === 0,
    source: "BINDINGS+tags",
    bindings: set.bindings.length,
    bindings_discovered: set.discovered.size,
    scaling_groups: new Set(set.bindings.map((b) => b.scaling_group_id)).size,
    channels: new Set(set.bindings.map((b) => channelKey(b))).size,
    list: set.bindings.map((b) => ({
      scaling_group_id: b.scaling_group_id,
      source: sourceOf(set, b),
      channel: channelKey(b),
      member_group_name: b.member_group_name,
    })),
    shadowed: set.shadowed,
    skipped: set.skipped,
    warnings: [...config.warnings, ...("warnings" in groups ? groups.warnings : [])],
    channels_checked: "warnings" in groups,
  };
  if (opts.json) {
    printJson(io, report);
    return code;
  }
  io.stdout.write(
    `BINDINGS and tags: ${report.bindings} binding${report.bindings === 1 ? "" : "s"} ` +
      `(${report.bindings - report.bindings_discovered} from BINDINGS, ${report.bindings_discovered} from tags; ` +
      `${report.scaling_groups} scaling groups, ${report.channels} channels)\n`,
  );
  io.stdout.write(`${bindingsTable(set.bindings, (b) => sourceOf(set, b))}\n`);
  io.stdout.write(hostsLine(config, set.bindings));
  for (const id of set.shadowed) {
    io.stdout.write(`shadowed: ${id} is tagged, and BINDINGS names it too: BINDINGS wins\n`);
  }
  if (set.skipped.length > 0) {
    io.stdout.write(`Skipped (${set.skipped.length}): not reconciled until their tags are fixed\n`);
    for (const g of set.skipped)
      io.stdout.write(`  ${g.scaling_group_id}: ${describeTagProblems(g.problems)}\n`);
  }
  for (const w of report.warnings) io.stdout.write(`warning: ${w}\n`);
  return code;
}

/** What `validate` says when it could not read the channels: what the environment lacks. */
const channelsNotRead = (missing: readonly string[]) =>
  `channels not read (set ${missing.join(", ")} to check their member groups for a member_group_weight)`;

async function validate(file: string | undefined, opts: GlobalOptions, io: CliIo): Promise<ExitCode> {
  const source = file ?? opts.bindings;
  let raw: string | undefined;
  let root: string = ENV_KEYS.bindings;
  const env = buildEnv(io.env, { dotenv: dotenvOf(opts) }, io.cwd);
  if (source !== undefined) {
    raw = readTextFile(source, io.cwd, "bindings file");
    root = source;
  } else {
    if (env[ENV_KEYS.bindingsFromTags]?.trim().toLowerCase() === "true")
      return validateWithTags(env, opts, io);
    raw = env[ENV_KEYS.bindings];
    if (raw === undefined) {
      throw new UsageError(
        "nothing to validate: give a bindings file (validate <file> or --bindings) or set BINDINGS",
      );
    }
  }
  const { bindings, issues } = parseBindings(raw, root);
  const warnings: string[] = [];
  if (issues.length === 0) {
    // What Terraform deploys is the compact JSON; that is what counts against the environment cap.
    const size = ENV_KEYS.bindings.length + JSON.stringify(JSON.parse(raw)).length;
    if (size > ENV_SIZE_WARN_AT) {
      warnings.push(
        `BINDINGS is ${size} characters as compact JSON; FunctionGraph caps the whole environment at ${ENV_SIZE_LIMIT} (${ENV_SIZE_WARN_AT} in some regions)`,
      );
    }
  }
  // Valid bindings, and an environment that reaches the cloud: their channels are read for group weights.
  const groups =
    issues.length === 0
      ? await memberGroupChecks(
          { ...env, [ENV_KEYS.bindings]: raw },
          { timeoutMs: DEFAULT_TIMEOUT_S * 1000, onLog: logSink(opts, io) },
          bindings,
        )
      : { notRead: [] };
  if ("warnings" in groups) warnings.push(...groups.warnings);
  const code = issues.length === 0 ? EXIT.ok : EXIT.usage;
  const report: ValidateReport = {
    command: "validate",
    exit_code: code,
    errors:
      issues.length === 0
        ? []
        : [{ name: "ConfigError", message: `${root}: ${issues.length} problem(s)`, issues }],
    valid: issues.length === 0,
    source: root,
    bindings: bindings.length,
    scaling_groups: new Set(bindings.map((b) => b.scaling_group_id)).size,
    channels: new Set(bindings.map((b) => channelKey(b))).size,
    issues,
    warnings,
    channels_checked: "warnings" in groups,
  };
  if (opts.json) {
    printJson(io, report);
    return code;
  }
  if (issues.length > 0) {
    io.stdout.write(
      `${root}: ${issues.length} problem${issues.length === 1 ? "" : "s"}\n` +
        `${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}\n`,
    );
    return code;
  }
  io.stdout.write(
    `${root}: valid, ${report.bindings} binding${report.bindings === 1 ? "" : "s"} ` +
      `(${report.scaling_groups} scaling groups, ${report.channels} channels)\n`,
  );
  io.stdout.write(`${bindingsTable(bindings)}\n`);
  for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
  if ("notRead" in groups) io.stdout.write(`${channelsNotRead(groups.notRead)}\n`);
  return code;
}

function replayPreface(file: string, records: ReturnType<typeof parseDeadLetters>) {
  return () =>
    `Replaying ${records.length} dead letter${records.length === 1 ? "" : "s"} from ${file}:\n` +
    `${formatTable(
      records.map((r) => [
        r.action,
        r.binding?.scaling_group_id ?? "(every binding)",
        `${r.error.code}${r.error.status === null ? "" : ` ${r.error.status}`}`,
        r.time ?? "",
      ]),
    )}\n\n`;
}

/**
 * The commander program for one command line (`argv`, without `node` and the script); every action
 * stores its exit code in `result.code`.
 */
export function buildProgram(io: CliIo, result: { code: ExitCode }, argv: readonly string[] = []): Command {
  const json = argv.includes("--json");
  const program = new Command("channel-autoscaler")
    .description(
      "Keep VPC channel members equal to Auto Scaling groups, from a shell: the functions' own code and " +
        "configuration (BINDINGS, HUAWEICLOUD_SDK_REGION, HUAWEICLOUD_SDK_PROJECT_ID, *_ENDPOINT, ...). " +
        "Credentials: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN).",
    )
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // With --json the error is reported once, in the JSON document (reportError).
      writeErr: (s) => (json ? undefined : io.stderr.write(s)),
    })
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .option("--bindings <file>", "read BINDINGS from a JSON file (overrides the environment)")
    .option("--dotenv <file>", "read KEY=value lines into the environment (they override it)")
    // Node.js 20 reads an `--env-file` argument itself, even after the script name (nodejs/node#54232):
    // a missing file then ends the process with exit code 9 before the CLI runs. Still accepted when it exists.
    .addOption(new Option("--env-file <file>", "old name of --dotenv").hideHelp())
    .option("--json", "print one JSON document on stdout instead of tables")
    .option("-v, --verbose", "also print the functions' JSON log lines on stderr")
    .option("--log-file <file>", "append the functions' JSON log lines to a file")
    .addHelpText(
      "after",
      "\nExit codes: 0 done (or planned) with nothing dead-lettered; 1 failures or dead letters; 2 bad usage, file or configuration.",
    );

  const timeoutOption = (cmd: Command) =>
    cmd.addOption(
      new Option("--timeout <seconds>", "time each run may take, like the function's timeout")
        .argParser(seconds)
        .default(DEFAULT_TIMEOUT_S),
    );
  const runOptions = (cmd: Command) =>
    timeoutOption(cmd).option(
      "--dead-letter-file <file>",
      "write the run's dead-letter records to a JSON file (for replay)",
    );

  const optsOf = (cmd: Command) => {
    const o = cmd.optsWithGlobals<RunOptions>();
    if (o.envFile !== undefined && o.dotenv === undefined && !o.json) {
      io.stderr.write(
        "warning: --env-file is also read by Node.js 20 itself (a missing file exits 9 before the CLI starts); use --dotenv\n",
      );
    }
    return o;
  };

  /** A command that runs the functions' code over the bindings: its options, then one `run`. */
  const runCommand = (
    name: string,
    description: string,
    options: (cmd: Command) => Command,
    spec: (o: RunOptions) => Omit<RunSpec, "command">,
  ) =>
    options(program.command(name).description(description)).action(async (_opts, cmd: Command) => {
      const o = optsOf(cmd);
      result.code = await run({ command: name, ...spec(o) }, o, io, argv);
    });
  const groupOption = (cmd: Command) =>
    cmd.option("--group <id...>", "only the bindings of these scaling groups");

  // A plan writes nothing, so it has nothing to replay: no --dead-letter-file.
  runCommand(
    "plan",
    "dry run: show per binding the members to add, update, drain and remove, and the hooks to complete",
    (cmd) => timeoutOption(groupOption(cmd)),
    (o) => ({ groups: o.group ?? "all", dryRun: true, batched: false }),
  );
  runCommand(
    "sync",
    "reconcile every binding now (one run per independent set of channels, with progress)",
    (cmd) => runOptions(groupOption(cmd)),
    (o) => ({ groups: o.group ?? "all", dryRun: false, batched: true }),
  );
  runCommand(
    "backfill",
    "reconcile the bindings of the given scaling groups (the backfill function's payload)",
    (cmd) =>
      runOptions(
        cmd
          .requiredOption("--group <id...>", "scaling group ids")
          .option("--dry-run", "plan only, write nothing"),
      ),
    (o) => ({ groups: o.group ?? [], dryRun: o.dryRun ?? false, batched: true }),
  );

  program
    .command("validate")
    .description(
      "check a bindings file (or BINDINGS) and print every problem; with BINDINGS_FROM_TAGS=true, also the tagged groups",
    )
    .argument("[file]", "bindings JSON file (default: --bindings, then BINDINGS)")
    .action(async (file: string | undefined, _opts, cmd: Command) => {
      result.code = await validate(file, optsOf(cmd), io);
    });

  runOptions(
    program
      .command("replay")
      .description("run again what dead-letter records could not do (their replay payloads)")
      .argument("<dead-letter-file>", "a record, an array of records, or log lines holding them")
      .option("--dry-run", "plan only, write nothing"),
  ).action(async (file: string, _opts, cmd: Command) => {
    const o = optsOf(cmd);
    const records = parseDeadLetters(readTextFile(file, io.cwd, "dead-letter file"), file);
    result.code = await run(
      {
        command: "replay",
        groups: replayGroups(records),
        dryRun: o.dryRun ?? false,
        batched: true,
        preface: replayPreface(file, records),
      },
      o,
      io,
      argv,
    );
  });

  return program;
}

/**
 * Prints an error the way the output mode asks, and returns its exit code. With --json, the document
 * has the shape of every other exit: `command`, `exit_code` and `errors`.
 */
export function reportError(err: unknown, io: CliIo, argv: readonly string[]): ExitCode {
  const code = exitCodeForError(err);
  const json = argv.includes("--json");
  // Commander has printed its own message (or the help) already.
  if (err instanceof CommanderError && (!json || code === EXIT.ok)) return code;
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) {
    const error: JsonError =
      err instanceof CommanderError
        ? { name: "UsageError", message: err.message.replace(/^error: /, "") }
        : {
            name: e.name,
            message: e.message,
            ...(err instanceof ConfigError ? { issues: err.issues } : {}),
          };
    printJson(io, {
      command: argv.find((a) => (COMMANDS as readonly string[]).includes(a)) ?? null,
      exit_code: code,
      errors: [error],
    });
  } else {
    io.stderr.write(`error: ${e.message}\n`);
    if (code === EXIT.failed && argv.includes("--verbose") && e.stack) io.stderr.write(`${e.stack}\n`);
  }
  return code;
}
