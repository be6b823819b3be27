import type { ConfigIssue } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import { ENV_SIZE_LIMIT, ENV_SIZE_WARN_AT, parseBindings } from "../config/load";
import type { Binding } from "../config/schema";
import { describeAllowed } from "../config/tag-consent";
import { type BindingSource, type SkippedGroup, sourceOf } from "../discovery/merge";
import { describeTagProblems } from "../discovery/tags";
import { channelKey } from "../plan/identity";
import { readBindingsFile } from "./bindings-file";
import { objectLines, renderBindingsTable } from "./bindings-table";
import { UsageError } from "./errors";
import { EXIT, type ExitCode } from "./exit-codes";
import { hostsLine } from "./hosts";
import { buildEnv } from "./inputs";
import { type CliIo, dotenvOf, type GlobalOptions, type JsonError, logSink, printJson } from "./io";
import { count } from "./plan-table";
import { FUNCTION_TIMEOUT_S } from "./run-command";
import { loadCliBindings, memberGroupChecks } from "./runner";
import { cleanStrings, printable } from "./safe-output";

interface ValidateReport {
  command: "validate";
  exit_code: ExitCode;
  errors: JsonError[];
  valid: boolean;
  source: string;
  bindings: number;
  scaling_groups: number;
  channels: number;
  /** Every binding with its defaults applied, ids whole. */
  list: Binding[];
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
  list: (Binding & { source: BindingSource; channel: string })[];
  /** TAG_BINDINGS_ALLOWED, as its entries are written. */
  tag_bindings_allowed: string[];
  shadowed: string[];
  skipped: SkippedGroup[];
  warnings: string[];
  channels_checked: boolean;
}

/**
 * `validate` with BINDINGS_FROM_TAGS=true: discovers the tagged groups as `reconcile` does, and shows
 * each binding with its source and each skipped group with its problems (exit 1 when any is skipped).
 */
async function validateWithTags(env: NodeJS.ProcessEnv, opts: GlobalOptions, io: CliIo): Promise<ExitCode> {
  const run = { timeoutMs: FUNCTION_TIMEOUT_S * 1000, onLog: logSink(opts, io) };
  const { config, set } = await loadCliBindings(env, run);
  const code = set.skipped.length === 0 ? EXIT.ok : EXIT.failed;
  const groups = await memberGroupChecks(env, run, set.bindings);
  const report: TagValidateReport = {
    command: "validate",
    exit_code: code,
    valid: set.skipped.length === 0,
    source: "BINDINGS+tags",
    bindings: set.bindings.length,
    bindings_discovered: set.discovered.size,
    scaling_groups: new Set(set.bindings.map((b) => b.scaling_group_id)).size,
    channels: new Set(set.bindings.map((b) => channelKey(b))).size,
    list: set.bindings.map((b) => ({ ...b, source: sourceOf(set, b), channel: channelKey(b) })),
    tag_bindings_allowed: config.tagBindingsAllowed.map(describeAllowed),
    shadowed: set.shadowed,
    skipped: set.skipped,
    warnings: [...config.warnings, ...("warnings" in groups ? groups.warnings : [])],
    channels_checked: "warnings" in groups,
  };
  if (opts.json) {
    printJson(io, report);
    return code;
  }
  // Group ids, tag keys and values come from AS: printed, they lose their control characters.
  const { shadowed, skipped } = cleanStrings({ shadowed: set.shadowed, skipped: set.skipped }, printable);
  io.stdout.write(
    `BINDINGS and tags: ${count(report.bindings, "binding")} ` +
      `(${report.bindings - report.bindings_discovered} from BINDINGS, ${report.bindings_discovered} from tags; ` +
      `${report.scaling_groups} scaling groups, ${report.channels} channels)\n`,
  );
  io.stdout.write(`${renderBindingsTable(set.bindings, (b) => sourceOf(set, b))}\n`);
  io.stdout.write(
    `Tag bindings may point at: ${report.tag_bindings_allowed.join(", ")} (TAG_BINDINGS_ALLOWED)\n`,
  );
  io.stdout.write(hostsLine(config, set.bindings));
  for (const id of shadowed) {
    io.stdout.write(`shadowed: ${id} is tagged, and BINDINGS names it too: BINDINGS wins\n`);
  }
  if (skipped.length > 0) {
    io.stdout.write(`Skipped (${skipped.length}): not reconciled until their tags are fixed or allowed\n`);
    for (const g of skipped) io.stdout.write(`  ${g.scaling_group_id}: ${describeTagProblems(g.problems)}\n`);
  }
  for (const w of report.warnings) io.stdout.write(`warning: ${w}\n`);
  return code;
}

/** What `validate` says when it could not read the channels: what the environment lacks, in lines of ≤ 120. */
function channelsNotRead(missing: readonly string[]): string {
  return [
    "channels not read for member groups with a member_group_weight; the environment lacks:",
    ...objectLines("  ", missing),
  ].join("\n");
}

/** The bindings `validate` checks: a file (in any shape ./bindings-file.ts reads), or BINDINGS. */
function bindingsToCheck(
  file: string | undefined,
  io: CliIo,
  env: () => NodeJS.ProcessEnv,
): { root: string; text: string | undefined; issues: ConfigIssue[] } {
  if (file !== undefined) return readBindingsFile(file, io.cwd);
  const text = env()[ENV_KEYS.bindings];
  if (text === undefined) {
    throw new UsageError(
      "nothing to validate: give a bindings file (validate <file> or --bindings) or set BINDINGS",
    );
  }
  return { root: ENV_KEYS.bindings, text, issues: [] };
}

/** `validate`: every problem of the bindings in one pass, or the bindings and every setting they make. */
export async function validateCommand(
  file: string | undefined,
  opts: GlobalOptions,
  io: CliIo,
): Promise<ExitCode> {
  const named = file ?? opts.bindings;
  // Built on first use, once: with a file to check, a missing dotenv must not hide the file's problems.
  let built: NodeJS.ProcessEnv | undefined;
  const env = () => {
    built ??= buildEnv(io.env, { dotenv: dotenvOf(opts) }, io.cwd);
    return built;
  };
  if (named === undefined && env()[ENV_KEYS.bindingsFromTags]?.trim().toLowerCase() === "true") {
    return validateWithTags(env(), opts, io);
  }
  const source = bindingsToCheck(named, io, env);
  const { root } = source;
  const { bindings, issues } =
    source.text === undefined ? { bindings: [], issues: source.issues } : parseBindings(source.text, root);
  const warnings: string[] = [];
  if (issues.length === 0) {
    // What Terraform deploys is the compact JSON; that is what counts against the environment cap.
    const size = ENV_KEYS.bindings.length + JSON.stringify(bindings).length;
    if (size > ENV_SIZE_WARN_AT) {
      warnings.push(
        `BINDINGS is ${size} characters as compact JSON; FunctionGraph caps the whole environment at ${ENV_SIZE_LIMIT} (${ENV_SIZE_WARN_AT} in some regions)`,
      );
    }
  }
  // Valid bindings, and an environment that reaches the cloud: their channels are read for group weights.
  const groups =
    issues.length === 0 && source.text !== undefined
      ? await memberGroupChecks(
          { ...env(), [ENV_KEYS.bindings]: JSON.stringify(bindings) },
          { timeoutMs: FUNCTION_TIMEOUT_S * 1000, onLog: logSink(opts, io) },
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
        : [{ name: "ConfigError", message: `${root}: ${count(issues.length, "problem")}`, issues }],
    valid: issues.length === 0,
    source: root,
    bindings: bindings.length,
    scaling_groups: new Set(bindings.map((b) => b.scaling_group_id)).size,
    channels: new Set(bindings.map((b) => channelKey(b))).size,
    list: bindings,
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
      `${root}: ${count(issues.length, "problem")}\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}\n`,
    );
    return code;
  }
  io.stdout.write(
    `${root}: valid, ${count(report.bindings, "binding")} ` +
      `(${report.scaling_groups} scaling groups, ${report.channels} channels)\n`,
  );
  io.stdout.write(`${renderBindingsTable(bindings)}\n`);
  for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
  if ("notRead" in groups) io.stdout.write(`${channelsNotRead(groups.notRead)}\n`);
  return code;
}
