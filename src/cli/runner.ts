import { randomUUID } from "node:crypto";
import { ConfigError, type ConfigIssue } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import type { Config } from "../config/load";
import type { Binding } from "../config/schema";
import type { BindingSet } from "../discovery/merge";
import { plannedCounts } from "../plan/counts";
import { selectBindings, targetKey } from "../plan/identity";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import { unknownGroups } from "../runtime/bindings";
import type { FunctionContext } from "../runtime/context";
import { shardGroups } from "../runtime/fanout";
import {
  addFigures,
  boot,
  emptyFigures,
  emptySummary,
  loadBindings,
  type RunFigures,
  runInvocation,
  type Summary,
} from "../runtime/invoke";
import { memberGroupWeightWarnings } from "../runtime/member-group-weights";
import { UsageError } from "./errors";
import type { Progress } from "./progress";
import { cleanStrings, printable, scrubberOf } from "./safe-output";

export const CLI_FUNCTION_NAME = "channel-autoscaler-cli";

export interface RunSettings {
  env: NodeJS.ProcessEnv;
  /** Time each invocation may take, like a function's timeout. */
  timeoutMs: number;
  /** Every JSON log line of the functions' code (the CLI keeps them off the terminal unless asked). */
  onLog: (line: string) => void;
}

/** What the runs of one CLI command did, added up. */
export interface RunResult {
  summary: Summary;
  deadLetters: DeadLetterRecord[];
  /** The runs' figures, added up, and how many runs there were. */
  figures: RunFigures;
  invocations: number;
  /** Runs that failed as a whole (every binding failed for transient reasons). */
  errors: Error[];
  requestIds: string[];
}

/**
 * Where a CLI user supplies what the functions get from their deployment: the bindings from a file,
 * the credentials of an IAM user (the agency advice is the deployed function's).
 */
function forTheCli(issue: ConfigIssue): ConfigIssue {
  if (issue.path === ENV_KEYS.bindings && issue.message.startsWith("is required")) {
    return {
      path: issue.path,
      message:
        "is required: pass --bindings <file> (a JSON array of bindings), or set BINDINGS, or BINDINGS_FROM_TAGS=true",
    };
  }
  if (issue.path.startsWith(ENV_KEYS.ak) && issue.message.startsWith("no credentials")) {
    return {
      path: issue.path,
      message: `no credentials: set ${ENV_KEYS.ak} and ${ENV_KEYS.sk} (an IAM user's access key), in the environment or the --dotenv file`,
    };
  }
  return issue;
}

/**
 * The configuration (checked as the functions check it, each problem in the CLI's words and scrubbed
 * of the environment's credentials) and the bindings a run works on: BINDINGS, and with
 * BINDINGS_FROM_TAGS the tagged groups, discovered the way `reconcile` does (one query-by-tag call per
 * 1,000 groups).
 */
export async function loadCliBindings(
  env: NodeJS.ProcessEnv,
  settings: Pick<RunSettings, "timeoutMs" | "onLog">,
): Promise<{ config: Config; set: BindingSet }> {
  try {
    return await loadBindings(cliContext(`cli-${randomUUID().slice(0, 8)}`, settings.timeoutMs), {
      env,
      write: settings.onLog,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const scrub = scrubberOf(env);
    throw new ConfigError(err.issues.map(forTheCli)).cleaned((text) => printable(scrub(text)));
  }
}

/**
 * `validate`'s look at the cloud: each bound channel read once, for member groups whose
 * `member_group_weight` would override the bindings' weights. `notRead` names what the environment
 * lacks to reach the cloud (nothing is read then).
 */
export async function memberGroupChecks(
  env: NodeJS.ProcessEnv,
  settings: Pick<RunSettings, "timeoutMs" | "onLog">,
  bindings: readonly Binding[],
): Promise<{ warnings: string[] } | { notRead: string[] }> {
  let run: ReturnType<typeof boot>;
  try {
    run = boot("backfill", cliContext(`cli-${randomUUID().slice(0, 8)}`, settings.timeoutMs), {
      env,
      write: settings.onLog,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { notRead: [...new Set(err.issues.map((i) => i.path))] };
  }
  return { warnings: await memberGroupWeightWarnings(run.clients.gateway, bindings) };
}

function cliContext(requestId: string, timeoutMs: number): FunctionContext {
  const started = Date.now();
  return {
    getRequestID: () => requestId,
    getFunctionName: () => CLI_FUNCTION_NAME,
    getRemainingTimeInMilliSeconds: () => timeoutMs - (Date.now() - started),
  };
}

/** A summary field that is a number: a count. */
type Count = { [K in keyof Summary]: Summary[K] extends number ? K : never }[keyof Summary];

/** Every count of a summary, summed over the batches: taken from the summary itself, no list to forget one in. */
const COUNTS: readonly Count[] = Object.entries(emptySummary(false))
  .filter(([, v]) => typeof v === "number")
  .map(([k]) => k as Count);

function addSummary(into: Summary, s: Summary): void {
  for (const k of COUNTS) into[k] += s[k];
  into.plan.push(...s.plan);
}

/**
 * Runs the backfill function's code in this process once per batch (one batch when `progress` is
 * absent), and adds up what the runs did. Configuration and input errors are thrown (exit code 2);
 * a run that failed for transient reasons is kept in `errors` and the other batches still run.
 */
export async function runBatches(
  groups: "all" | readonly string[],
  dryRun: boolean,
  settings: RunSettings,
  set: BindingSet,
  progress?: Progress,
): Promise<RunResult> {
  const { bindings } = set;
  const result: RunResult = {
    summary: emptySummary(dryRun),
    deadLetters: [],
    figures: emptyFigures(),
    invocations: 0,
    errors: [],
    requestIds: [],
  };
  const unknown = unknownGroups(groups, set);
  if (unknown) {
    throw new UsageError(
      `unknown scaling group ${unknown.named}: no binding names it (bound groups: ${unknown.bound})`,
    );
  }
  const selected = selectBindings(bindings, groups);
  // With progress, one invocation per set of channel-connected bindings (a shard size of 1 gives one
  // shard per such set): they are independent, and no two invocations write to the same channel.
  const batches: { groups: "all" | string[]; bindings: Binding[] }[] = progress
    ? shardGroups(selected, 1).map((ids) => ({
        groups: ids,
        bindings: selected.filter((b) => ids.includes(b.scaling_group_id)),
      }))
    : [{ groups: groups === "all" ? "all" : [...groups], bindings: selected }];
  // Skipped tagged groups asked for by name get a run of their own: it dead-letters their tag problems.
  const skippedAsked =
    groups === "all" ? [] : set.skipped.map((s) => s.scaling_group_id).filter((id) => groups.includes(id));
  if (progress && skippedAsked.length > 0) batches.push({ groups: skippedAsked, bindings: [] });
  progress?.start(selected.length);
  try {
    for (const batch of batches) {
      const requestId = `cli-${randomUUID().slice(0, 8)}`;
      result.requestIds.push(requestId);
      const payload = batch.groups === "all" ? {} : { scaling_group_ids: batch.groups };
      const run = await runInvocation("backfill", payload, cliContext(requestId, settings.timeoutMs), {
        env: settings.env,
        dryRun,
        write: settings.onLog,
      });
      result.deadLetters.push(...run.deadLetters);
      if (run.metrics) {
        addFigures(result.figures, run.metrics);
        result.invocations += 1;
      }
      if (run.failure) result.errors.push(run.failure);
      // A run that failed as a whole adds its counts but not its plan; one stopped by a transient tag
      // discovery failure adds nothing (its dead letter is kept).
      const summary = !run.failure ? run.summary : run.metrics ? { ...run.summary, plan: [] } : undefined;
      if (summary) addSummary(result.summary, summary);
      progress?.tick(batch.bindings.length, describeBatch(batch.bindings, summary));
    }
  } finally {
    progress?.stop();
  }
  // What came from the cloud (plan entries, dead letters) is printed and written to files: no control
  // character, no credential (the functions' logger scrubbed its lines; the plan never went through it).
  const scrub = scrubberOf(settings.env);
  const clean = (text: string) => printable(scrub(text));
  result.summary = cleanStrings(result.summary, clean);
  result.deadLetters = cleanStrings(result.deadLetters, clean);
  return result;
}

/** A batch's progress line: what it planned (dry run) or did, in the words of the totals line. */
function describeBatch(bindings: readonly Binding[], s: Summary | undefined): string {
  const names = bindings.map((b) => `${b.scaling_group_id} → ${targetKey(b)}`);
  const label = names.length > 2 ? `${names[0]} and ${names.length - 1} more` : names.join(", ");
  if (!s) return `${label}: failed`;
  const failed = s.dead_lettered > 0 || s.plan.some((e) => e.status === "failed");
  const hooks = (n: number) => `${n} hook${n === 1 ? "" : "s"}`;
  const planned = s.dry_run ? plannedCounts(s.plan) : undefined;
  const counts = planned
    ? `${planned.added} to add, ${planned.updated} to update, ${planned.removed} to remove, ` +
      `${hooks(planned.hooks_completed)} to complete`
    : `${s.added} added, ${s.updated} updated, ${s.removed} removed, ${hooks(s.hooks_completed)} completed`;
  return `${label}: ${counts}${failed ? `, ${s.dead_lettered} dead letters` : ", ok"}`;
}
